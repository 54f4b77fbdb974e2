/* Names of the mqtt_err codes (mqtt_codec.h), for logs; kept apart so firmware that logs numbers
 * does not link the strings. */
#include "mqtt_codec.h"

const char *mqtt_strerror(int err)
{
    static const char *const names[] = {
        "OK", "E_REMAINING_LENGTH", "E_PACKET_TYPE", "E_TOO_BIG", "E_FLAGS", "E_MALFORMED", "E_PACKET_ID",
        "E_QOS", "E_TOPIC", "E_PROTOCOL", "E_REFUSED", "E_TIMEOUT", "E_TCP", "E_NOSPACE", "E_BUSY", "E_STATE",
        "E_ARG", "E_SESSION_LOST", "E_QOS2_FULL",
    };
    unsigned i = (unsigned)-err;
    return err <= 0 && i < sizeof names / sizeof names[0] ? names[i] : "E_?";
}
