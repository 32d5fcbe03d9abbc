//! Property tests: any message encodes to a frame that decodes back to the same message.

use plugboard_protocol::frame::{decode_client_frame, decode_server_frame, encode_frame, encode_message};
use plugboard_protocol::messages::*;
use plugboard_protocol::model::{InputCommand, InputType};
use plugboard_protocol::SpecVersion;
use proptest::prelude::*;

fn id() -> impl Strategy<Value = u32> {
    1u32..=u32::MAX
}

fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0]
}

fn v3_client_message() -> impl Strategy<Value = ClientMessage> {
    let actuator = prop_oneof![
        Just(ActuatorType::Vibrate),
        Just(ActuatorType::Rotate),
        Just(ActuatorType::Oscillate),
        Just(ActuatorType::Constrict),
        Just(ActuatorType::Inflate),
        Just(ActuatorType::Position)
    ];
    let sensor = prop_oneof![
        Just(SensorType::Battery),
        Just(SensorType::Rssi),
        Just(SensorType::Button),
        Just(SensorType::Pressure)
    ];
    prop_oneof![
        id().prop_map(|id| ClientMessage::Ping(IdOnly { id })),
        id().prop_map(|id| ClientMessage::StopAllDevices(IdOnly { id })),
        (id(), any::<u32>())
            .prop_map(|(id, device_index)| ClientMessage::StopDeviceCmd(DeviceIndexOnly { id, device_index })),
        (id(), any::<u32>(), prop::collection::vec((any::<u32>(), unit()), 1..4)).prop_map(
            |(id, device_index, speeds)| {
                ClientMessage::VibrateCmd(VibrateCmd {
                    id,
                    device_index,
                    speeds: speeds.into_iter().map(|(index, speed)| VibrateSpeed { index, speed }).collect(),
                })
            }
        ),
        (id(), any::<u32>(), prop::collection::vec((any::<u32>(), unit(), any::<bool>()), 1..4)).prop_map(
            |(id, device_index, rotations)| ClientMessage::RotateCmd(RotateCmd {
                id,
                device_index,
                rotations: rotations
                    .into_iter()
                    .map(|(index, speed, clockwise)| Rotation { index, speed, clockwise })
                    .collect(),
            })
        ),
        (id(), any::<u32>(), prop::collection::vec((any::<u32>(), any::<u32>(), unit()), 1..4)).prop_map(
            |(id, device_index, vectors)| ClientMessage::LinearCmd(LinearCmd {
                id,
                device_index,
                vectors: vectors
                    .into_iter()
                    .map(|(index, duration, position)| Vector { index, duration, position })
                    .collect(),
            })
        ),
        (id(), any::<u32>(), prop::collection::vec((any::<u32>(), unit(), actuator), 1..4)).prop_map(
            |(id, device_index, scalars)| ClientMessage::ScalarCmd(ScalarCmd {
                id,
                device_index,
                scalars: scalars
                    .into_iter()
                    .map(|(index, scalar, actuator_type)| Scalar { index, scalar, actuator_type })
                    .collect(),
            })
        ),
        (id(), any::<u32>(), any::<u32>(), sensor).prop_map(|(id, device_index, sensor_index, sensor_type)| {
            ClientMessage::SensorReadCmd(SensorCmd { id, device_index, sensor_index, sensor_type })
        }),
    ]
}

fn v4_client_message() -> impl Strategy<Value = ClientMessage> {
    let command = prop_oneof![
        any::<i32>().prop_map(|value| OutputCommandV4::Vibrate(OutputValue { value })),
        any::<i32>().prop_map(|value| OutputCommandV4::Rotate(OutputValue { value })),
        any::<i32>().prop_map(|value| OutputCommandV4::Constrict(OutputValue { value })),
        any::<i32>().prop_map(|value| OutputCommandV4::Temperature(OutputValue { value })),
        (any::<u32>(), any::<u32>()).prop_map(|(value, duration)| OutputCommandV4::HwPositionWithDuration(
            PositionWithDuration { value, duration }
        )),
    ];
    let input_type = prop_oneof![
        Just(InputType::Battery),
        Just(InputType::Rssi),
        Just(InputType::Button),
        Just(InputType::Pressure)
    ];
    let input_command =
        prop_oneof![Just(InputCommand::Read), Just(InputCommand::Subscribe), Just(InputCommand::Unsubscribe)];
    prop_oneof![
        (id(), any::<u32>(), any::<u32>(), command).prop_map(|(id, device_index, feature_index, command)| {
            ClientMessage::OutputCmd(OutputCmd { id, device_index, feature_index, command })
        }),
        (id(), any::<u32>(), any::<u32>(), input_type, input_command).prop_map(
            |(id, device_index, feature_index, input_type, command)| {
                ClientMessage::InputCmd(InputCmd { id, device_index, feature_index, input_type, command })
            }
        ),
        (id(), any::<Option<u32>>(), any::<Option<u32>>(), any::<Option<bool>>(), any::<Option<bool>>()).prop_map(
            |(id, device_index, feature_index, inputs, outputs)| ClientMessage::StopCmd(StopCmd {
                id,
                device_index,
                feature_index,
                inputs,
                outputs
            })
        ),
        id().prop_map(|id| ClientMessage::Disconnect(IdOnly { id })),
    ]
}

fn server_message() -> impl Strategy<Value = (SpecVersion, ServerMessage)> {
    prop_oneof![
        (0usize..5, id()).prop_map(|(v, id)| (SpecVersion::ALL[v], ServerMessage::ok(id))),
        (0usize..5, any::<u32>(), 0u8..=4, ".*").prop_map(|(v, id, error_code, error_message)| {
            (SpecVersion::ALL[v], ServerMessage::Error(ErrorMessage { id, error_code, error_message }))
        }),
        (0usize..5, id(), ".*", any::<u32>()).prop_map(|(v, id, name, ping)| {
            let version = SpecVersion::ALL[v];
            (version, ServerMessage::ServerInfo(ServerInfo::for_version(version, id, &name, ping)))
        }),
        (any::<u32>(), any::<u32>(), any::<u8>()).prop_map(|(id, device_index, value)| {
            (
                SpecVersion::V4,
                ServerMessage::InputReading(InputReading {
                    id,
                    device_index,
                    feature_index: 0,
                    reading: InputReadingValue::Battery(ReadingValue { value }),
                }),
            )
        }),
        (any::<u32>(), any::<u32>(), any::<i32>()).prop_map(|(id, device_index, value)| {
            (
                SpecVersion::V3,
                ServerMessage::SensorReading(SensorReading {
                    id,
                    device_index,
                    sensor_index: 0,
                    sensor_type: SensorType::Rssi,
                    data: vec![value],
                }),
            )
        }),
    ]
}

proptest! {
    #[test]
    fn v3_client_messages_round_trip(message in v3_client_message()) {
        let decoded = decode_client_frame(&encode_message(&message), SpecVersion::V3);
        prop_assert_eq!(decoded, vec![Ok(message)]);
    }

    #[test]
    fn v4_client_messages_round_trip(message in v4_client_message()) {
        let decoded = decode_client_frame(&encode_message(&message), SpecVersion::V4);
        prop_assert_eq!(decoded, vec![Ok(message)]);
    }

    #[test]
    fn batches_round_trip_in_order(messages in prop::collection::vec(v3_client_message(), 1..8)) {
        let decoded = decode_client_frame(&encode_frame(&messages), SpecVersion::V3);
        prop_assert_eq!(decoded, messages.into_iter().map(Ok).collect::<Vec<_>>());
    }

    #[test]
    fn server_messages_round_trip((version, message) in server_message()) {
        let decoded = decode_server_frame(&encode_message(&message), version);
        prop_assert_eq!(decoded, vec![Ok(message)]);
    }

    #[test]
    fn any_text_gets_an_answer(text in ".{0,200}", version in 0usize..5) {
        // Never panics, never returns nothing.
        prop_assert!(!decode_client_frame(&text, SpecVersion::ALL[version]).is_empty());
    }
}
