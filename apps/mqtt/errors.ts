// Error codes of the AssemblyScript MQTT 3.1.1 client: the same values as the C client's enum
// mqtt_err (boards/common/apps/mqtt/mqtt_codec.h), so hosts and tests name them with one table.
// Every protocol violation of the server has its own code; the client closes the connection with it.
export const MQTT_OK: i32 = 0;
export const MQTT_E_REMAINING_LENGTH: i32 = -1;  // §2.2.3: more than four length bytes
export const MQTT_E_PACKET_TYPE: i32 = -2;       // type 0/15, or a type only a client sends (§2.2.1)
export const MQTT_E_TOO_BIG: i32 = -3;           // a packet (or a PUBLISH variable header) larger than the buffer
export const MQTT_E_FLAGS: i32 = -4;             // §2.2.2: reserved fixed-header flags not as required
export const MQTT_E_MALFORMED: i32 = -5;         // lengths inconsistent with the remaining length, reserved bits set
export const MQTT_E_PACKET_ID: i32 = -6;         // packet id 0, or an acknowledgement of an id not in flight
export const MQTT_E_QOS: i32 = -7;               // QoS 3 (§3.3.1.2), DUP on QoS 0 (§3.3.1.1), bad SUBACK code
export const MQTT_E_TOPIC: i32 = -8;             // empty topic, wildcard in a PUBLISH topic, bad UTF-8 (§1.5.3)
export const MQTT_E_PROTOCOL: i32 = -9;          // a packet out of order (anything before CONNACK, a second CONNACK)
export const MQTT_E_REFUSED: i32 = -10;          // CONNACK return code 1..5 (connackRc says which)
export const MQTT_E_TIMEOUT: i32 = -11;          // no CONNACK / PINGRESP in time: the link is broken
export const MQTT_E_TCP: i32 = -12;              // the connection failed, was reset, or the server closed it
export const MQTT_E_NOSPACE: i32 = -13;          // an encoder's output does not fit the buffer
export const MQTT_E_BUSY: i32 = -14;             // in-flight window or output ring full: try again later
export const MQTT_E_STATE: i32 = -15;            // not connected (or already connecting)
export const MQTT_E_ARG: i32 = -16;              // bad argument: string over 65,535 bytes, QoS > 2, ...
export const MQTT_E_SESSION_LOST: i32 = -17;     // a clean session dropped a message still in flight
export const MQTT_E_QOS2_FULL: i32 = -18;        // more incoming QoS 2 messages awaiting PUBREL than the table holds
