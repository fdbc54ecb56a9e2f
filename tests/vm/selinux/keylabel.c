/* Prints the SELinux label of the calling process's session keyring (KEYCTL_GET_SECURITY):
 * built by mkoverlay.sh into the containers' rootfs of the SELinux guest. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char label[256] = "";
  /* KEYCTL_GET_SECURITY = 17, KEY_SPEC_SESSION_KEYRING = -3 */
  if (syscall(SYS_keyctl, 17, -3, label, sizeof(label) - 1) < 0) {
    perror("keyctl get_security");
    return 1;
  }
  printf("%s\n", label);
  return 0;
}
