"""The synthetic crowd's people: perspective head sizes, entry at the borders, smooth
walks, and brief full occlusions (a person leaves the annotations for a few frames and
re-appears with the same HeadID). Pure NumPy; drawing is ``synth.py``'s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["People", "concat", "head_size", "hidden_people", "spawn", "step", "take"]


def head_size(y: np.ndarray, h: int) -> np.ndarray:
    """Head diameter (px) at image row ``y``: the perspective model."""
    far, near = 3.0, max(16.0, 40.0 * h / 1080.0)
    t = np.clip((y - 0.1 * h) / (0.9 * h), 0.0, 1.0)
    return far + (near - far) * t**1.6


@dataclass
class People:
    ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    hair: np.ndarray  # (n, 3) uint8 head colour
    cloth: np.ndarray  # (n, 3) uint8 shoulder colour


def spawn(rng, n, w, h, first_id, at_border):
    # Uniform density on the ground plane projects to more people per image row far
    # away (small heads) than near the camera: the long tail of head sizes.
    y = 0.12 * h + 0.88 * h * rng.uniform(0, 1, n) ** 1.8
    s = head_size(y, h)
    if at_border:
        side = rng.integers(0, 2, n)
        x = np.where(side == 0, -0.5 * s, w + 0.5 * s)
        direction = np.where(side == 0, 1.0, -1.0)
    else:
        x = rng.uniform(0, w, n)
        direction = rng.choice([-1.0, 1.0], n)
    speed = rng.uniform(0.4, 1.1, n) * s
    angle = rng.normal(0, 0.35, n)
    vx = direction * speed * np.cos(angle)
    vy = speed * np.sin(angle) * 0.5
    hair = rng.integers(10, 70, (n, 3)).astype(np.uint8)
    cloth = rng.integers(30, 240, (n, 3)).astype(np.uint8)
    return People(np.arange(first_id, first_id + n), x, y, vx, vy, hair, cloth)


def concat(a: People, b: People) -> People:
    return People(*(np.concatenate([getattr(a, f), getattr(b, f)])
                     for f in ("ids", "x", "y", "vx", "vy", "hair", "cloth")))


def take(p: People, keep: np.ndarray) -> People:
    return People(*(getattr(p, f)[keep] for f in ("ids", "x", "y", "vx", "vy", "hair",
                                                    "cloth")))


def step(p: People, rng, w, h) -> People:
    s = head_size(p.y, h)
    # Smooth random velocity: small changes, proportional to the perspective scale.
    p.vx = p.vx + rng.normal(0, 0.12, len(s)) * s
    p.vy = p.vy + rng.normal(0, 0.08, len(s)) * s
    speed = np.hypot(p.vx, p.vy)
    cap = 1.3 * s
    f = np.where(speed > cap, cap / np.maximum(speed, 1e-9), 1.0)
    p.vx, p.vy = p.vx * f, p.vy * f
    p.x, p.y = p.x + p.vx, p.y + p.vy
    s = head_size(p.y, h)
    inside = (p.x > -s) & (p.x < w + s) & (p.y > 0.1 * h) & (p.y < h + s)
    return take(p, inside)


def hidden_people(ids: np.ndarray, frame: int, seed: int) -> np.ndarray:
    """People fully hidden (behind scenery) in this frame: about 4% of people per block of
    3 frames, a deterministic function of (seed, ID, block), so they leave the
    annotations for a few frames and re-appear with the same ID."""
    key = (ids.astype(np.uint64) * np.uint64(0x9E3779B1)
           + np.uint64(frame // 3) * np.uint64(0x85EBCA6B)
           + np.uint64(seed % 2**31) * np.uint64(0xC2B2AE35)) % np.uint64(2**32)
    return (key >> np.uint64(7)) % np.uint64(100) < np.uint64(4)
