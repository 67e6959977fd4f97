//! SplitMix64: a few lines, fixed forever, so a seed replays the same operation sequence on
//! every build (general-purpose RNG crates don't promise stable streams across versions).

/// A seeded generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    pub(crate) fn below_usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True with probability `pct` percent.
    pub(crate) fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below_usize(items.len()))
    }

    pub(crate) fn u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    /// A u32 from the values that tend to find bugs, or a random one.
    pub(crate) fn interesting_u32(&mut self) -> u32 {
        const V: [u32; 12] = [0, 1, 2, 3, 7, 8, 63, 64, 255, 256, 0x7fff_ffff, u32::MAX];
        if self.chance(70) {
            V.get(self.below_usize(V.len())).copied().unwrap_or(0)
        } else {
            self.u32()
        }
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}
