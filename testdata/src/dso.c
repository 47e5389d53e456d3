/* Linked by GNU ld without libc into a PIE and a shared object (testdata/make_fixtures.sh, step 7):
 * thread-local data and bss give PT_TLS with .tdata and .tbss, the pointer table and .dynamic give
 * PT_GNU_RELRO, the build-id note gives PT_NOTE, and banner fills the read-only PT_LOAD. */
__thread int tls_data = 3;
__thread int tls_bss;
int counter = 1;
static int zeroed[64];

static void bump(void) { counter++; }
__attribute__((section(".init_array"), used)) static void (*const init_entry)(void) = bump;
int *const table[] = {&counter, &zeroed[0]};
#ifndef NO_RODATA
const char banner[] = "elfhash fixture";
#define BANNER banner[2]
#else
#define BANNER 0  // x86_64-pie-slack: the read-only PT_LOAD has no file bytes
#endif

int get(void) { return tls_data + tls_bss + counter + zeroed[3] + *table[1] + BANNER; }
void _start(void) { get(); }
