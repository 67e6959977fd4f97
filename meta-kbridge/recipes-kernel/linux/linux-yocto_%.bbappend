require linux-kbridge.inc
