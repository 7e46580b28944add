"""The paper's reference numbers shown beside a run (Li et al., TIP 2022; the spec at
shared/paper/gnanet-vscrowd-tip2022.txt): Table II (localization on VSCrowd, ratios)
and Table XII (video counting on VSCrowd, MAE and "MSE", which is an RMSE)."""

from __future__ import annotations

__all__ = ["TABLE_II", "TABLE_XII"]

_COLS = ("AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR")

# method -> sigma -> (AP.50, AP.75, mAP, AR.50, AR.75, mAR), as printed in Table II.
_II = {
    "Faster R-CNN": {5: (0.142, 0.040, 0.058, 0.320, 0.168, 0.180),
                     20: (0.613, 0.500, 0.472, 0.652, 0.593, 0.568),
                     40: (0.662, 0.641, 0.616, 0.678, 0.667, 0.653)},
    "FCOS": {5: (0.050, 0.018, 0.021, 0.132, 0.060, 0.069),
             20: (0.363, 0.274, 0.259, 0.388, 0.338, 0.319),
             40: (0.401, 0.386, 0.367, 0.406, 0.400, 0.388)},
    "GLoss": {5: (0.069, 0.019, 0.028, 0.213, 0.097, 0.111),
              20: (0.573, 0.505, 0.446, 0.649, 0.606, 0.554),
              40: (0.605, 0.589, 0.574, 0.665, 0.657, 0.646)},
    "RAZNet": {5: (0.615, 0.461, 0.435, 0.752, 0.684, 0.613),
               20: (0.752, 0.724, 0.714, 0.870, 0.855, 0.844),
               40: (0.774, 0.757, 0.755, 0.854, 0.844, 0.843)},
    "STANet": {5: (0.540, 0.410, 0.388, 0.763, 0.659, 0.625),
               20: (0.691, 0.663, 0.652, 0.874, 0.855, 0.847),
               40: (0.734, 0.706, 0.703, 0.902, 0.855, 0.882)},
    "P2PNet": {5: (0.442, 0.353, 0.330, 0.538, 0.478, 0.451),
               20: (0.554, 0.525, 0.522, 0.674, 0.657, 0.653),
               40: (0.586, 0.568, 0.563, 0.694, 0.682, 0.680)},
    "GNANet": {5: (0.660, 0.511, 0.480, 0.778, 0.677, 0.641),
               20: (0.775, 0.757, 0.747, 0.885, 0.873, 0.867),
               40: (0.805, 0.788, 0.782, 0.902, 0.891, 0.890)},
}

#: Table II rows: ``{"method", "sigma", "AP.50", ..., "mAR"}``.
TABLE_II = [{"method": m, "sigma": s, **dict(zip(_COLS, v))}
            for m, rows in _II.items() for s, v in rows.items()]

#: Table XII, VSCrowd columns: ``{"method", "MAE", "RMSE"}`` (printed as "MSE").
TABLE_XII = [{"method": m, "MAE": a, "RMSE": b} for m, a, b in (
    ("ConvLSTM", 28.0, 46.1), ("LST", 22.9, 41.1), ("STANet", 12.0, 18.6),
    ("EPF", 10.4, 14.6), ("GNANet", 8.2, 10.2))]
