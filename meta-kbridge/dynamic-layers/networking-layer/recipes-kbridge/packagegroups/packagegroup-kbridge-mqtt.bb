SUMMARY = "kbridge MQTT bridge: a local Mosquitto broker and its clients"
DESCRIPTION = "What an image needs to run the kbridge agent's MQTT bridge \
(docs/mqtt.md) against a broker on the board itself: Mosquitto from \
meta-networking and mosquitto_pub/mosquitto_sub for checking it. The bridge \
itself is part of the kbridge agent. Installed by kbridge-image when \
KBRIDGE_MQTT = \"1\"."

inherit packagegroup

RDEPENDS:${PN} = " \
    kbridge \
    mosquitto \
    mosquitto-clients \
"
