/* Freestanding C for the cross-target fixtures (ELF32/ELF64, little/big endian). No includes, so it
 * compiles with clang --target=... -c without a sysroot. Globals, calls to an external function,
 * string constants and a pointer table give every target data and text relocations (REL or RELA,
 * whichever the ABI uses) and -g gives .debug_* sections with their own relocations. */

__attribute__((section(".modinfo"), used)) static const char __UNIQUE_ID_license[] = "license=GPL";

extern int helper(int);
extern const char *describe(int);

int counter;
int table_size = 4;
static const char *const names[] = {"zero", "one", "two", "three"};
const char *const *name_table = names;

struct usb_device_id {
  unsigned short match_flags, idVendor, idProduct;
  unsigned long driver_info;
};
const struct usb_device_id __mod_device_table__usb__cross_ids[2] = {{3, 0x1d6b, 0x0002, 0}, {0}};

int cross_entry(int x) {
  counter += helper(x);
  if (x >= 0 && x < table_size) return names[x][0] + counter;
  return describe(x)[0];
}

unsigned long long cross_mix(unsigned long long a, unsigned b) { return (a << 7) ^ (a >> 3) ^ b; }
