//! The pinned maps, opened by path.

use super::*;

pub(super) fn open_pinned(dir: &Path, file: &str) -> Result<MapData> {
    let path = dir.join(file);
    if fs::symlink_metadata(&path).is_err() {
        return Err(Error::BpfNotAttached { path });
    }
    MapData::from_pin(&path).map_err(|e| bpf_error("open a pinned map", e))
}

pub(super) fn read_stats(dir: &Path) -> Result<BpfStats> {
    let stats: Array<MapData, [u8; STATS_SIZE]> =
        Array::try_from(Map::Array(open_pinned(dir, PIN_STATS)?))
            .map_err(|e| bpf_error("open the statistics map", e))?;
    let raw = stats
        .get(&0, 0)
        .map_err(|e| bpf_error("read the statistics map", e))?;
    Ok(BpfStats::from_bytes(&raw))
}

/// The program's counters from the pinned statistics map.
pub fn stats(config: &Config) -> Result<BpfStats> {
    read_stats(&pin_dir(config))
}
