// SPDX-License-Identifier: GPL-2.0

//! The board model: lines described by the device tree, their state, and the
//! rules a board description must follow.
//!
//! Safe code only: hardware is reached through [`Gpio`] and [`Led`], the
//! firmware node through [`crate::dt`].
//!
//! Binding (docs/bindings/kbridge,board.yaml): `output-gpios` + `output-names`,
//! `input-gpios` + `input-names`, `leds` (phandles) + `led-names`, optional
//! `label`. Line indices follow that order: outputs, then inputs, then LEDs.

use core::ffi::CStr;
use kernel::prelude::*;

use crate::abi;
use crate::dt;
use crate::gpio::Gpio;
use crate::led::Led;
use crate::platform::Device;

/// A validated line or board name (ABI rules: `abi::validate_name`).
#[derive(Clone, Copy)]
pub(crate) struct Name {
    buf: [u8; abi::NAME_LEN],
    len: usize,
}

impl Name {
    fn new(s: &[u8]) -> Option<Self> {
        abi::validate_name(s).ok()?;
        let mut buf = [0u8; abi::NAME_LEN];
        buf.get_mut(..s.len())?.copy_from_slice(s);
        Some(Name { buf, len: s.len() })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    pub(crate) fn as_str(&self) -> &str {
        // Validated names are ASCII.
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}

/// How kbridge reaches a line.
enum Hw {
    Gpio(Gpio),
    Led(Led),
}

/// One line of the board.
pub(crate) struct Line {
    name: Name,
    kind: u8,
    flags: u32,
    max: u32,
    value: u32,
    hw: Hw,
}

/// The board bound to one `kbridge,board` node.
pub(crate) struct Board {
    label: Name,
    lines: KVec<Line>,
}

/// One group of lines in the binding.
struct Group {
    kind: u8,
    /// `<con_id>-gpios` (None: LEDs, from `leds`).
    con_id: Option<&'static CStr>,
    names: &'static CStr,
}

const GROUPS: [Group; 3] = [
    Group { kind: abi::KIND_OUTPUT, con_id: Some(c"output"), names: c"output-names" },
    Group { kind: abi::KIND_INPUT, con_id: Some(c"input"), names: c"input-names" },
    Group { kind: abi::KIND_LED, con_id: None, names: c"led-names" },
];

impl Board {
    /// Reads and validates the board description, then takes the lines.
    /// Any rule broken fails the probe with one dmesg line saying which;
    /// whatever was acquired is released by devres.
    pub(crate) fn probe(dev: &Device<'_>) -> Result<KBox<Self>> {
        let mut label = Name::new(b"kbridge").ok_or(EINVAL)?;
        dt::for_each_string(dev, c"label", |_, s| {
            label = Name::new(s).ok_or_else(|| {
                pr_err!("board: label is not a valid name (see docs/bindings)\n");
                EINVAL
            })?;
            Ok(())
        })?;

        let mut lines: KVec<Line> = KVec::new();
        for g in &GROUPS {
            let names_prop = g.names.to_str().unwrap_or("?");
            let n_hw = match g.con_id {
                Some(con) => dt::gpio_count(dev, con)?,
                None => dt::led_count(dev)?,
            };
            let n_names = dt::string_count(dev, g.names)?;
            if n_hw != n_names {
                pr_err!(
                    "board: {} lists {} names but the node has {} {}\n",
                    names_prop,
                    n_names,
                    n_hw,
                    if g.con_id.is_some() { "GPIOs" } else { "LEDs" }
                );
                return Err(EINVAL);
            }
            if lines.len() + n_hw > abi::MAX_LINES {
                pr_err!("board: more than {} lines\n", abi::MAX_LINES);
                return Err(E2BIG);
            }
            let mut result = Ok(());
            dt::for_each_string(dev, g.names, |i, s| {
                let Some(name) = Name::new(s) else {
                    pr_err!("board: {}[{}] is not a valid line name (see docs/bindings)\n", names_prop, i);
                    return Err(EINVAL);
                };
                if lines.iter().any(|l| l.name.as_bytes() == name.as_bytes()) {
                    pr_err!("board: duplicate line name '{}'\n", name.as_str());
                    return Err(EINVAL);
                }
                let idx = u32::try_from(i).map_err(|_| EINVAL)?;
                let line = match g.con_id {
                    Some(con) => Line::gpio(dev, name, g.kind, con, idx),
                    None => Line::led(dev, name, idx),
                }
                .inspect_err(|e| {
                    pr_err!("board: line '{}': cannot get its hardware (errno {})\n", name.as_str(), e.to_errno());
                })?;
                lines.push(line, GFP_KERNEL)?;
                Ok(())
            })
            .or_else(|e| {
                result = Err(e);
                Ok::<(), Error>(())
            })?;
            result?;
        }

        pr_info!("board '{}': {} lines\n", label.as_str(), lines.len());
        for (i, l) in lines.iter().enumerate() {
            let kind = abi::kind_name(l.kind).unwrap_or("?");
            let al = if l.flags & abi::LINE_FLAG_ACTIVE_LOW != 0 { " active-low" } else { "" };
            match &l.hw {
                Hw::Led(led) => pr_info!(
                    "line {} '{}': {} value={} max={} (LED {})\n",
                    i,
                    l.name.as_str(),
                    kind,
                    l.value,
                    l.max,
                    led.name().to_str().unwrap_or("?")
                ),
                Hw::Gpio(_) => pr_info!("line {} '{}': {} value={}{}\n", i, l.name.as_str(), kind, l.value, al),
            }
        }
        Ok(KBox::new(Board { label, lines }, GFP_KERNEL)?)
    }

    /// Called when the device is unbound; hardware handles are released by
    /// devres right after.
    pub(crate) fn remove(self: KBox<Self>) {
        pr_info!("board '{}': unbound ({} lines)\n", self.label.as_str(), self.lines.len());
    }
}

impl Line {
    fn gpio(dev: &Device<'_>, name: Name, kind: u8, con: &CStr, idx: u32) -> Result<Self> {
        let gpio = Gpio::get(dev, con, idx, kind == abi::KIND_OUTPUT)?;
        let flags = if gpio.is_active_low() { abi::LINE_FLAG_ACTIVE_LOW } else { 0 };
        let mut line = Line { name, kind, flags, max: 1, value: 0, hw: Hw::Gpio(gpio) };
        line.value = line.read_hw()?;
        Ok(line)
    }

    fn led(dev: &Device<'_>, name: Name, idx: u32) -> Result<Self> {
        let led = Led::get(dev, idx)?;
        let max = led.max_brightness();
        let mut line = Line { name, kind: abi::KIND_LED, flags: 0, max, value: 0, hw: Hw::Led(led) };
        line.value = line.read_hw()?;
        Ok(line)
    }

    /// The line's value as the hardware (gpiolib or the LED core) reports it.
    fn read_hw(&self) -> Result<u32> {
        match &self.hw {
            Hw::Gpio(g) => Ok(u32::from(g.value()?)),
            Hw::Led(l) => Ok(l.brightness()),
        }
    }
}
