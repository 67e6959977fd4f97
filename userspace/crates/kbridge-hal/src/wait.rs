//! `embedded_hal_async::digital::Wait` for [`Input`] (feature `async`), on kbridge's event
//! stream driven by tokio ([`kbridge::AsyncEventStream`]).
//!
//! Each input opens its event reader on the first wait and keeps it. A wait first drains what
//! the reader queued before the call (edges that happened before the wait began do not count),
//! then, for `wait_for_high`/`wait_for_low`, reads the current level and returns at once if it
//! already holds; otherwise it resolves on the first event of this line that matches. The
//! reader is open before the level is read, so a change between the read and the wait is not
//! lost.

use embedded_hal_async::digital::Wait;
use kbridge::{AsyncEventStream, Backend, ChardevEvents, Config, EventStream, Interface};

use crate::pin::Input;
use crate::{Error, Result};

/// An input's event reader, opened on first use.
#[derive(Debug)]
pub(crate) struct Events {
    config: Config,
    stream: Option<AsyncEventStream>,
}

impl Events {
    pub(crate) fn new(config: Config) -> Self {
        Events {
            config,
            stream: None,
        }
    }
}

/// What a wait waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Until {
    High,
    Low,
    Rising,
    Falling,
    AnyEdge,
}

impl Until {
    /// The level that satisfies a level wait at once.
    fn level(self) -> Option<bool> {
        match self {
            Until::High => Some(true),
            Until::Low => Some(false),
            Until::Rising | Until::Falling | Until::AnyEdge => None,
        }
    }

    /// Whether a change `old` -> `new` of the line ends the wait. Levels are logical, any
    /// non-zero value is high (an LED dimmed from 200 to 100 makes no edge).
    fn matches(self, old: u32, new: u32) -> bool {
        let (was, is) = (old != 0, new != 0);
        match self {
            Until::High => is,
            Until::Low => !is,
            Until::Rising => !was && is,
            Until::Falling => was && !is,
            Until::AnyEdge => was != is,
        }
    }
}

impl<B: Backend> Input<B> {
    /// The root under which `Wait` opens its event reader (`/dev/kbridge`) when the pin's
    /// backend has no event stream of its own (every backend but chardev). Default: `/`.
    pub fn with_events_config(mut self, config: Config) -> Self {
        self.events = Events::new(config);
        self
    }

    /// The event reader: the backend's own stream if it has one, else a chardev reader.
    fn event_stream(&mut self) -> Result<EventStream> {
        match self.backend_mut().events() {
            Ok(stream) => Ok(stream),
            Err(kbridge::Error::Unsupported { .. }) => Ok(EventStream::new(Box::new(
                ChardevEvents::open(&self.events.config)?,
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn wait_until(&mut self, until: Until) -> Result<()> {
        if self.events.stream.is_none() {
            let stream = AsyncEventStream::new(self.event_stream()?)?;
            self.events.stream = Some(stream);
        }
        let stream = match self.events.stream.as_mut() {
            Some(stream) => stream,
            None => return Err(closed(Interface::Chardev)),
        };
        // Forget what happened before this wait.
        while stream.try_next()?.is_some() {}
        if let Some(level) = until.level() {
            if self.line.is_high()? == level {
                return Ok(());
            }
        }
        loop {
            let event = match stream.next().await {
                Some(event) => event?,
                None => return Err(closed(stream.via())),
            };
            if event.line == self.line.name() && until.matches(event.old_value, event.new_value) {
                return Ok(());
            }
        }
    }
}

fn closed(via: Interface) -> Error {
    Error::Kbridge(kbridge::Error::Protocol {
        via,
        detail: "the event stream ended".into(),
    })
}

/// Waits on the line's change events; needs a tokio runtime with I/O enabled.
impl<B: Backend> Wait for Input<B> {
    async fn wait_for_high(&mut self) -> Result<()> {
        self.wait_until(Until::High).await
    }

    async fn wait_for_low(&mut self) -> Result<()> {
        self.wait_until(Until::Low).await
    }

    async fn wait_for_rising_edge(&mut self) -> Result<()> {
        self.wait_until(Until::Rising).await
    }

    async fn wait_for_falling_edge(&mut self) -> Result<()> {
        self.wait_until(Until::Falling).await
    }

    async fn wait_for_any_edge(&mut self) -> Result<()> {
        self.wait_until(Until::AnyEdge).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_and_levels() {
        use Until::*;
        // (old, new) -> which waits end
        let table = [
            ((0, 1), [true, false, true, false, true]),
            ((1, 0), [false, true, false, true, true]),
            ((0, 255), [true, false, true, false, true]),
            ((200, 100), [true, false, false, false, false]),
            ((0, 0), [false, true, false, false, false]),
        ];
        for ((old, new), want) in table {
            let got = [High, Low, Rising, Falling, AnyEdge].map(|u| u.matches(old, new));
            assert_eq!(got, want, "{old} -> {new}");
        }
        assert_eq!(High.level(), Some(true));
        assert_eq!(Low.level(), Some(false));
        assert_eq!(Rising.level(), None);
    }
}
