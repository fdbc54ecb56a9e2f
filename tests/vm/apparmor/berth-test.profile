# Loaded in the AppArmor guest with `apparmor_parser -r`. Both allow everything but what the
# tests check is denied (paths as seen inside the container: AppArmor resolves them from the
# container's own root after pivot_root).
profile berth-test flags=(attach_disconnected) {
  file,
  capability,
  network,
  mount,
  remount,
  umount,
  pivot_root,
  signal,
  ptrace,
  unix,
  deny /etc/group r,
  deny /tmp/denied w,
}

# the profile `berth exec --apparmor` switches to: reading /etc/passwd is denied
profile berth-exec flags=(attach_disconnected) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  deny /etc/passwd r,
}
