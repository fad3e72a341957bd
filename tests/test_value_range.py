"""Values beyond the sensor's range (issue 27, item 2): counted per scene, then clipped, masked or kept."""
import numpy as np
import pytest

from stfusion.qa import CLOUD, OUT_OF_RANGE, assess, mask_obscured
from stfusion.value_range import handle_out_of_range

REFLECTANCE = (0.0, 1.0)


def scene() -> tuple[np.ndarray, np.ndarray]:
    """Two bands of 2 x 3 pixels: a small negative within the tolerance, one below and one above it, and a cloud
    pixel beyond the range (counted with the cloud, not here)."""
    data = np.full((2, 2, 3), 0.2, np.float32)
    data[0, 0, 0] = -0.004   # within the tolerance: kept as measured
    data[1, 0, 1] = -0.05    # below
    data[0, 1, 0] = 1.3      # above
    data[0, 1, 2] = 1.5      # above, but under cloud
    flags = np.zeros((2, 3), np.uint8)
    flags[1, 2] = CLOUD
    return data, flags


def test_values_beyond_the_tolerance_are_clipped_to_it_and_counted():
    data, flags = scene()
    clipped, same_flags, counts = handle_out_of_range(data, flags, REFLECTANCE, {"tolerance": 0.01, "action": "clip"})
    assert counts == {"below_range_pixels": 1, "above_range_pixels": 1}
    assert (same_flags == flags).all()
    assert clipped[1, 0, 1] == pytest.approx(-0.01) and clipped[0, 1, 0] == pytest.approx(1.01)
    assert clipped[0, 0, 0] == pytest.approx(-0.004) and clipped[1, 0, 0] == pytest.approx(0.2)


def test_masked_values_are_missing_pixels_in_the_keep_drop_rule():
    data, flags = scene()
    same, masked, counts = handle_out_of_range(data, flags, REFLECTANCE, {"tolerance": 0.01, "action": "mask"})
    assert (same == data).all() and counts == {"below_range_pixels": 1, "above_range_pixels": 1}
    assert masked.tolist() == [[0, OUT_OF_RANGE, 0], [OUT_OF_RANGE, 0, CLOUD]]
    report = assess(masked, max_cloud=0.5, max_nodata=0.1)
    assert report.nodata_fraction == pytest.approx(2 / 6) and report.no_qa_fraction == 0
    assert report.reason == "nodata 33.3% > max_nodata 10.0% (of which 33.3% masked out of range)"
    clean = mask_obscured(same, masked)
    assert np.isnan(clean[:, 0, 1]).all() and np.isnan(clean[:, 1, 0]).all() and clean[1, 0, 0] == pytest.approx(0.2)


def test_keep_only_counts_and_a_sensor_without_a_range_has_no_counts():
    data, flags = scene()
    kept, same, counts = handle_out_of_range(data, flags, REFLECTANCE, {"tolerance": 0.1, "action": "keep"})
    assert (kept == data).all() and (same == flags).all()
    assert counts == {"below_range_pixels": 0, "above_range_pixels": 1}  # -0.05 is within a tolerance of 0.1
    kelvin = data + 300
    assert handle_out_of_range(kelvin, flags, None, {"tolerance": 0.01, "action": "mask"})[2] == {
        "below_range_pixels": None, "above_range_pixels": None}
