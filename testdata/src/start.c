/* Entry point and the symbols module.o leaves for the final link of the miniature vmlinux. */
extern int init_module(void);
extern void cleanup_module(void);

/* spec §4.2: the all-zero placeholder that `elfhash patch` later fills (levels u32 + 32-byte root). */
struct module_hashes_root {
  unsigned int levels;
  unsigned char hash[32];
};
__attribute__((section(".module_hashes"), used, aligned(32)))
const struct module_hashes_root module_hashes_root = {0, {0}};

__attribute__((section(".modinfo"), used)) static const char __UNIQUE_ID_builtin[] = "vmlinux.builtin=yes";

int helper(int x) { return x + 1; }
const char *describe(int x) { return x < 0 ? "negative" : "large"; }

volatile int exit_code;

void _start(void) {
  exit_code = init_module() + (int)module_hashes_root.levels;
  cleanup_module();
  for (;;) {
  }
}
