// A miniature kernel module in freestanding C++ (no includes, no libc), compiled with
// -ffunction-sections -fdata-sections -g so the object has what elfhash must handle in real .ko files:
// COMDAT section groups (inline functions and template instantiations), .rela.* sections, DWARF, a
// .modinfo section and a __mod_device_table__* symbol (kernel modpost names).

extern "C" {

// MODULE_LICENSE("GPL") and friends expand to strings like these in section .modinfo.
__attribute__((section(".modinfo"), used)) static const char __UNIQUE_ID_license[] = "license=GPL";
__attribute__((section(".modinfo"), used)) static const char __UNIQUE_ID_author[] = "author=elfhash fixtures";
__attribute__((section(".modinfo"), used)) static const char __UNIQUE_ID_alias[] = "alias=pci:v00001234d00005678sv*sd*bc*sc*i*";

struct pci_device_id {
  unsigned vendor, device, subvendor, subdevice, klass, class_mask;
  unsigned long driver_data;
};

// MODULE_DEVICE_TABLE(pci, foo_ids) emits this alias symbol for modpost.
extern const pci_device_id __mod_device_table__pci__foo_ids[2];
const pci_device_id __mod_device_table__pci__foo_ids[2] = {{0x1234, 0x5678, ~0u, ~0u, 0, 0, 1}, {}};

int foo_counter;
int foo_state = 3;

}  // extern "C"

namespace {
template <class T>
struct Ring {
  T items[8];
  unsigned head = 0;
  void push(T v) { items[head++ & 7] = v; }
  T sum() const {
    T s = 0;
    for (unsigned i = 0; i < 8; ++i) s += items[i];
    return s;
  }
};
}  // namespace

// Inline functions with external linkage and template instantiations land in COMDAT groups.
inline int foo_scale(int x) { return x * foo_state + 1; }

template <class T>
T foo_max(T a, T b) {
  return a > b ? a : b;
}
template int foo_max<int>(int, int);
template long foo_max<long>(long, long);

struct Driver {
  virtual ~Driver() = default;
  virtual int probe(int id) { return foo_scale(id); }
};
struct FooDriver : Driver {
  int probe(int id) override { return foo_max(id, foo_counter) + Driver::probe(id); }
};

extern "C" int foo_probe(int id) {
  static Ring<long> ring;
  FooDriver d;
  Driver* p = &d;
  ring.push(id);
  foo_counter += p->probe(id);
  return static_cast<int>(foo_max<long>(ring.sum(), foo_counter));
}

extern "C" int init_module(void) { return foo_probe(__mod_device_table__pci__foo_ids[0].device); }
extern "C" void cleanup_module(void) { foo_counter = 0; }

// Freestanding: the C++ ABI hooks a virtual destructor needs, defined here so the object links alone.
extern "C" void __cxa_pure_virtual() {}
void operator delete(void*) noexcept {}
void operator delete(void*, unsigned long) noexcept {}
