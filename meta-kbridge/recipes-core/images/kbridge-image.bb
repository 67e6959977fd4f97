SUMMARY = "Small systemd image with the kbridge module and agent"
DESCRIPTION = "Boots to a console and an SSH server (dropbear) with \
kernel-module-kbridge loaded at boot and the kbridge agent started by udev \
once the module has bound to the board. Runs the kbridge oeqa tests with \
'bitbake kbridge-image -c testimage'."

require kbridge-image.inc
