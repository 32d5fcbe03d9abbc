//! Protocols whose devices Plugboard connects and lists with nothing to control: the reference
//! device database names them and their Bluetooth LE layout, but gives them no outputs and no
//! inputs, and the reference engine has no handler for them.
//!
//! * `libo-karen`: the LiBo Karen Kegel trainer (`SuoYinQiu`). Its layout has `tx` and `txmode`
//!   (service `6000`) and a pressure characteristic (`rxpressure`, service `6050`); an older
//!   implementation of the reference planned a pressure reader and never wrote one, and no
//!   command to it is known.
//! * `twerkingbutt`: the BODIKANG Twerking Butt (`BODIKANG`, `Twerking Butt`, `TwerkingButt`).
//!   The community's notes describe 16-byte commands (`a6 61 11 s s` and zeros to twerk at
//!   speed s, `a6 61 10 02` and zeros to stop, after a bind packet `a6 61 07 01`), unverified,
//!   and the database has no output to drive them with; Plugboard sends none of them.
//!
//! Such a device is connected and listed, so its owner sees it is recognised rather than
//! unknown, but it has no outputs: nothing is written to it, at connect or on a stop (there
//! is nothing to stop). When a newer database gives one of them features, this file needs an
//! encoder for them: a definition with outputs is refused at connect until then.

use plugboard_protocol::model::Feature;

use super::{ChangeSet, DeviceHandler, OutputLevel, Protocol, ProtocolError};
use crate::hardware::{BoxFuture, Hardware, Write};

/// The protocols this file implements, for the registry in `protocols/mod.rs`.
pub static PROTOCOLS: &[&dyn Protocol] = &[&LIBO_KAREN, &TWERKINGBUTT];

/// A protocol whose devices have no outputs; see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct ConnectOnly {
    /// The device-config protocol name.
    pub name: &'static str,
}

pub static LIBO_KAREN: ConnectOnly = ConnectOnly { name: "libo-karen" };
pub static TWERKINGBUTT: ConnectOnly = ConnectOnly { name: "twerkingbutt" };

impl Protocol for ConnectOnly {
    fn name(&self) -> &'static str {
        self.name
    }

    fn initialize<'a>(
        &'a self,
        _hw: &'a dyn Hardware,
        _identifier: Option<&'a str>,
        features: &'a [Feature],
    ) -> BoxFuture<'a, Result<Box<dyn DeviceHandler>, ProtocolError>> {
        Box::pin(async move { Ok(Box::new(NoOutputs::new(self.name, features)?) as Box<dyn DeviceHandler>) })
    }
}

/// The handler of a device with no outputs: it never writes.
#[derive(Debug, Clone, Copy)]
pub struct NoOutputs;

impl NoOutputs {
    /// Refuses a definition with outputs: they would be listed to clients and silently do
    /// nothing. `protocol` names the protocol in the error.
    pub fn new(protocol: &str, features: &[Feature]) -> Result<NoOutputs, ProtocolError> {
        match features.iter().flat_map(|feature| &feature.outputs).next() {
            Some(output) => Err(ProtocolError::Definition(format!(
                "{protocol} has no command for {:?} outputs (Plugboard knows of none for this device)",
                output.kind
            ))),
            None => Ok(NoOutputs),
        }
    }
}

impl DeviceHandler for NoOutputs {
    fn encode(&self, _levels: &[OutputLevel], _changed: ChangeSet) -> Vec<Write> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use plugboard_protocol::model::OutputType::*;

    use super::super::test_support::{feature, features, Sim};
    use super::*;
    use crate::hardware::Endpoint;
    use crate::testing::FakeHardware;

    #[tokio::test]
    async fn connects_with_nothing_written() {
        for protocol in [&LIBO_KAREN, &TWERKINGBUTT] {
            let hw = FakeHardware::with_endpoints("SuoYinQiu", "aa", &[Endpoint::Tx, Endpoint::TxMode]);
            let handler = protocol.initialize(&hw, None, &[]).await.unwrap();
            let mut toy = Sim::new(handler, &[]);
            assert!(toy.all().is_empty() && toy.stop().is_empty());
            assert!(hw.events().is_empty(), "{}: nothing written", protocol.name());
        }
        assert_eq!((LIBO_KAREN.name(), TWERKINGBUTT.name()), ("libo-karen", "twerkingbutt"));
    }

    #[tokio::test]
    async fn a_definition_with_outputs_is_refused() {
        let hw = FakeHardware::new("BODIKANG", "aa");
        let error = TWERKINGBUTT.initialize(&hw, None, &features(&[(Oscillate, 0, 10)])).await.err().unwrap();
        assert!(matches!(error, ProtocolError::Definition(_)), "{error}");
        assert!(hw.events().is_empty());
        // A feature with inputs only has no output to refuse.
        assert!(NoOutputs::new("libo-karen", &[feature(0, &[])]).is_ok());
    }
}

/// The stop vectors of this file's protocols, run by `protocols::test_vectors`: a device with
/// no outputs gets no writes, not even on a stop.
#[cfg(test)]
pub(crate) mod vectors {
    use super::*;
    use crate::protocols::test_vectors::*;

    pub(crate) static VECTORS: &[Vector] =
        &[Vector::new(&LIBO_KAREN, None, &[Stop(&[])]), Vector::new(&TWERKINGBUTT, None, &[Stop(&[])])];
}
