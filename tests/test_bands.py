"""Band matching by SRF overlap or explicit mapping (SPEC 2.4)."""
import pytest

from stfusion.bands import match_bands, srf_overlap
from stfusion.errors import ConfigError
from stfusion.sensors import load_sensor


def test_oli_modis_pairs_are_the_published_ones():
    """SPEC 5: MODIS 3, 4, 1, 2, 6, 7 pair with OLI 2, 3, 4, 5, 6, 7; OLI 1 and MODIS 5 are dropped."""
    pairs, warnings = match_bands(load_sensor("landsat8_oli"), load_sensor("modis"))
    assert [(p.fine, p.coarse) for p in pairs] == [("B2", "B3"), ("B3", "B4"), ("B4", "B1"), ("B5", "B2"), ("B6", "B6"), ("B7", "B7")]
    assert [p.name for p in pairs] == ["blue", "green", "red", "nir", "swir1", "swir2"]
    assert any("landsat8_oli band B1" in w for w in warnings)
    assert any("modis band B5" in w for w in warnings)


def test_product_band_order_is_not_wavelength_order_but_matching_is():
    """VNIC and GF-6 both append coastal/purple, yellow and red-edge bands after B1-B4."""
    pairs, warnings = match_bands(load_sensor("zy1_02d_vnic"), load_sensor("gf6_wfv"))
    assert [(p.name, p.fine, p.coarse) for p in pairs] == [
        ("coastal", "B5", "B7"), ("blue", "B1", "B1"), ("green", "B2", "B2"), ("yellow", "B6", "B8"),
        ("red", "B3", "B3"), ("red_edge", "B7", "B6"), ("nir", "B4", "B4"),
    ]
    assert len(warnings) == 2  # VNIC NIR2 and GF-6 red edge 1 have no partner


def test_overlap_is_one_with_itself_and_zero_for_disjoint_bands():
    oli = load_sensor("landsat8_oli")
    overlap = srf_overlap(oli, oli)
    assert overlap.diagonal() == pytest.approx(1.0)
    assert overlap[0, 6] == pytest.approx(0.0, abs=1e-6)  # coastal vs SWIR2


def test_explicit_mapping_replaces_the_search_and_is_checked():
    oli, modis = load_sensor("landsat8_oli"), load_sensor("modis")
    pairs, warnings = match_bands(oli, modis, mapping=[["B5", "B2"], ["B4", "B1"]])
    assert [(p.fine, p.coarse) for p in pairs] == [("B4", "B1"), ("B5", "B2")]
    assert len(warnings) == 5 + 5
    with pytest.raises(ConfigError, match="band_mapping names coarse band 'B9'"):
        match_bands(oli, modis, mapping=[["B5", "B9"]])


def test_min_overlap_drops_weak_pairs():
    pairs, _ = match_bands(load_sensor("landsat8_oli"), load_sensor("modis"), min_overlap=0.7)
    assert {p.name for p in pairs} <= {"red", "nir", "swir1", "swir2"}
    assert all(p.overlap >= 0.7 for p in pairs)
