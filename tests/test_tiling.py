"""The tile layout of whole-scene prediction (``tiling.axis_tiles``, SPEC 2.9): equal windows inside the scene,
cores that cover it, each core with the model's halo inside its window on every side that meets another tile.
Tiled predictions equal whole-scene ones: tests/test_training.py."""
import pytest

from stfusion.tiling import axis_tiles


@pytest.mark.parametrize("ratio", [1, 3, 16])
@pytest.mark.parametrize("tile, halo, overlap", [(16, 0, 0), (48, 1, 0), (512, 4, 0), (100, 2, 8), (32, 1, 5)])
def test_axis_tiles_cover_the_axis_with_equal_windows_and_whole_halos(ratio, tile, halo, overlap):
    halo *= ratio
    for length in range(ratio, 120 * ratio, 7 * ratio):
        window, tiles = axis_tiles(length, tile, halo, ratio, overlap)
        assert window % ratio == 0 and window <= length
        assert tiles[0][1] == 0 and tiles[-1][2] == length
        for (start, a, b), previous in zip(tiles, [None, *tiles]):
            assert start % ratio == 0 and 0 <= start <= length - window and a < b
            assert a == 0 or a - start >= halo
            assert b == length or start + window - b >= halo
            assert previous is None or a == previous[2] - overlap  # neighbours overlap by exactly ``overlap``
        if len(tiles) > 1:  # the fewest windows, none larger than a tile with its halo (and overlap)
            reach = -(-(halo + overlap - overlap // 2) // ratio) * ratio
            assert window <= -(-(tile + 2 * reach) // ratio) * ratio


def test_axis_tiles_even_out_the_windows():
    """1536 px in tiles of 512 with a 64-px halo at ratio 16: three windows of 608, not of 640."""
    assert axis_tiles(1536, 512, 64, 16) == (608, [(0, 0, 528), (464, 528, 992), (928, 992, 1536)])
    assert axis_tiles(400, 512, 64, 16) == (400, [(0, 0, 400)])
