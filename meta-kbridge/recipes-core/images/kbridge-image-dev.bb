SUMMARY = "kbridge-image for development: open root login, debug tools, ptests"
DESCRIPTION = "kbridge-image plus what was once debug-tweaks, spelled the \
wrynose way (the individual IMAGE_FEATURES), debugging tools and the ptest \
packages (the agent's Rust unit tests among them, when DISTRO_FEATURES has \
ptest). Never ship it."

require kbridge-image.inc

IMAGE_FEATURES += "allow-empty-password \
    allow-root-login \
    empty-root-password \
    post-install-logging \
    serial-autologin-root \
    tools-debug \
    ptest-pkgs \
"

DEFAULT_TEST_SUITES:append = " ptest"
