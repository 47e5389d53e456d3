// libFuzzer target: `elfhash objcopy` / `strip` on arbitrary bytes, in memory (elf/copy.h), with
// every CopyOptions field drawn from the input. Input layout:
//   byte 0        number of option records (low 4 bits)
//   records       opcode byte, then its operands (below); strings are NUL-terminated (at most 64 bytes)
//   the rest      the ELF file, or an ar archive of them (copy_archive)
// Opcodes (mod 33): 0 -R STR, 1 -j STR, 2 --set-section-flags STR=FLAGS (2 bytes of flag words),
// 3 strip mode (byte % 7: every StripMode), 4 -w (byte & 1), 5 -N STR, 6 --strip-unneeded-symbol STR,
// 7 --add-section STR=BYTES, 8 --update-section STR=BYTES, 9 --dump-section STR, 10 in-memory update
// (seal's .module_hashes) STR=BYTES, 11 -x/-X (byte % 3), 12 --keep-file-symbols, 13 -K STR,
// 14 --keep-section STR, 15 --remove-relocations STR, 16 --rename-section STR=STR[,FLAGS] (a flag
// byte, then 2 bytes of flag words), 17 --set-section-alignment STR=2^(byte % 16),
// 18 --add-gnu-debuglink BYTES, 19 --prefix-symbols STR, 20 --prefix-alloc-sections STR,
// 21 --compress-debug-sections (byte % 3), 22 --decompress-debug-sections, 23 -W STR, 24 --weaken,
// 25 -L STR, 26 -G STR, 27 --localize-hidden, 28 --globalize-symbol STR, 29 --redefine-sym STR=STR,
// 30 --add-symbol STR=[STR:]VALUE,FLAGS (4 value bytes, a flags byte), 31 --elf-stt-common
// (byte % 3), 32 --merge-notes (byte % 3); opcode bytes 0xf0 + k (k mod 3): 0 --change-section-*
// STR (a context byte: AddressChange bits, 8 value bytes, a byte moving the load address),
// 1 --change-addresses (8 bytes), 2 --set-start (8 bytes), 3 an image output too (a flags byte:
// format, -I binary, --gap-fill, interleave, --reverse-bytes, --srec-forceS3; then its values). BYTES is a length byte then that many bytes, given to the
// library as a memfd (a regular file) like a user's file.
// The kernel's command lines (spec §5) are seeds (tools/fuzz.sh). Hook: a new CopyOptions field gets
// an opcode here.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "elf/archive.h"
#include "elf/copy.h"
#include "elf/ops.h"

using namespace elfhash;
using namespace elfhash::elf;

namespace {

struct Cursor {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  std::string str() {
    std::string s;
    while (n && *p && s.size() < 64) s.push_back(static_cast<char>(byte()));
    byte();  // the NUL
    return s;
  }
  std::vector<uint8_t> bytes() {
    size_t len = std::min<size_t>(byte(), n);
    std::vector<uint8_t> v(p, p + len);
    p += len;
    n -= len;
    return v;
  }
};

// e_phnum != 0 in an ELF header (either class and byte order).
bool has_program_headers(const std::vector<uint8_t>& b) {
  if (b.size() < 0x3a || b[0] != 0x7f || b[1] != 'E') return false;
  const bool is64 = b[4] == 2, le = b[5] == 1;
  const size_t at = is64 ? 0x38 : 0x2c;
  return (le ? (b[at] | b[at + 1] << 8) : (b[at] << 8 | b[at + 1])) != 0;
}

// A regular file holding `bytes`, named by a /proc/self/fd path; closed by the caller.
int memfd_with(const std::vector<uint8_t>& bytes) {
  int fd = memfd_create("fuzz-section", MFD_CLOEXEC);
  if (fd >= 0 && !bytes.empty()) (void)!write(fd, bytes.data(), bytes.size());
  return fd;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

const std::string& dump_dir() {
  static const std::string d = [] {
    char tmpl[] = "/tmp/fuzz_objcopy-XXXXXX";
    const char* made = mkdtemp(tmpl);
    return std::string(made ? made : "/tmp");
  }();
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Cursor c{data + 1, size - 1};
  CopyOptions opt;
  OutputFormat image = OutputFormat::kElf;
  ImageOptions img;
  bool binary_input = false;
  std::vector<int> fds;
  for (int r = data[0] & 15; r > 0 && c.n; --r) {
    // Opcode bytes 0xf0 and up select the options added after the corpus was first collected, so the
    // checked-in inputs keep their meaning below that.
    const uint8_t b = c.byte();
    const uint8_t op = b >= 0xf0 ? 33 + (b - 0xf0) % 4 : b % 33;
    switch (op) {
      case 0: opt.remove_sections.add(c.str()); break;
      case 1: opt.only_sections.add(c.str()); break;
      case 2: {
        std::string pat = c.str();
        uint32_t flags = c.byte() | (uint32_t{c.byte()} << 8);
        if (!pat.empty()) opt.set_flags.emplace_back(pat, flags & 0x3fff);
        break;
      }
      case 3: opt.strip = static_cast<StripMode>(c.byte() % 7); break;
      case 4: opt.wildcard = c.byte() & 1; break;
      case 5: opt.strip_symbols.push_back(c.str()); break;
      case 6: opt.strip_unneeded_symbols.push_back(c.str()); break;
      case 7:
      case 8: {
        const bool add = op == 7;
        std::string name = c.str();
        int fd = memfd_with(c.bytes());
        if (fd < 0) break;
        fds.push_back(fd);
        (add ? opt.add_sections : opt.update_sections).push_back({name, fd_path(fd)});
        break;
      }
      case 9: opt.dump_sections.push_back({c.str(), dump_dir() + "/dump"}); break;
      case 10: {
        std::string name = c.str();
        opt.update_contents.emplace_back(name, c.bytes());
        break;
      }
      case 11: opt.discard = static_cast<DiscardLocals>(c.byte() % 3); break;
      case 12: opt.keep_file_symbols = true; break;
      case 13: opt.keep_symbols.push_back(c.str()); break;
      case 14: opt.keep_sections.add(c.str()); break;
      case 15: opt.remove_relocations.add(c.str()); break;
      case 16: {
        CopyOptions::Rename r;
        r.from = c.str();
        r.to = c.str();
        r.has_flags = c.byte() & 1;
        r.flags = (c.byte() | (uint32_t{c.byte()} << 8)) & 0x3fff;
        if (!r.from.empty() && !r.to.empty()) opt.rename_sections.push_back(std::move(r));
        break;
      }
      case 17: {
        std::string pat = c.str();
        opt.set_alignment.emplace_back(pat, uint64_t{1} << (c.byte() % 16));
        break;
      }
      case 18: {
        int fd = memfd_with(c.bytes());
        if (fd < 0) break;
        fds.push_back(fd);
        opt.gnu_debuglink = fd_path(fd);
        break;
      }
      case 19: opt.prefix_symbols = c.str(); break;
      case 20: opt.prefix_alloc_sections = c.str(); break;
      case 21: opt.compress = static_cast<CopyOptions::Compress>(c.byte() % 3); break;
      case 22: opt.decompress = true; break;
      case 23: opt.weaken_symbols.push_back(c.str()); break;
      case 24: opt.weaken = true; break;
      case 25: opt.localize_symbols.push_back(c.str()); break;
      case 26: opt.keep_global_symbols.push_back(c.str()); break;
      case 27: opt.localize_hidden = true; break;
      case 28: opt.globalize_symbols.push_back(c.str()); break;
      case 29: {
        std::string from = c.str(), to = c.str();
        opt.redefine_symbols.emplace_back(from, to);
        break;
      }
      case 30: {
        CopyOptions::AddSymbol a;
        a.name = c.str();
        a.section = c.str();
        for (int i = 0; i < 4; ++i) a.value |= uint64_t{c.byte()} << (8 * i);
        a.flags = c.byte();
        opt.add_symbols.push_back(std::move(a));
        break;
      }
      case 31: opt.stt_common = static_cast<CopyOptions::SttCommon>(c.byte() % 3); break;
      case 32: opt.merge_notes = static_cast<CopyOptions::MergeNotes>(c.byte() % 3); break;
      case 33: {  // --change-section-address/-vma/-lma (one entry per pattern, as the CLI builds them)
        CopyOptions::AddressChange a;
        a.pattern = c.str();
        a.context = c.byte() & 15;
        for (int i = 0; i < 8; ++i) a.vma |= uint64_t{c.byte()} << (8 * i);
        a.lma = a.vma ^ (uint64_t{c.byte()} << 12);
        opt.address_changes.push_back(std::move(a));
        break;
      }
      case 34:
        for (int i = 0; i < 8; ++i) opt.change_addresses |= uint64_t{c.byte()} << (8 * i);
        opt.change_start = opt.change_addresses;
        break;
      case 35: {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= uint64_t{c.byte()} << (8 * i);
        opt.set_start = v;
        break;
      }
      case 36: {  // an image output as well (elf/image.h), with its options
        const uint8_t f = c.byte();
        image = static_cast<OutputFormat>(1 + f % 4);
        binary_input = f & 0x80;
        if (f & 0x40) img.gap_fill = c.byte();
        for (int i = 0; i < 2; ++i) img.pad_to |= uint64_t{c.byte()} << (8 * i);
        if (f & 0x20) {  // interleave, valid as the CLI would accept it
          img.interleave = 1 + c.byte() % 8;
          img.copy_byte = c.byte() % img.interleave;
          img.copy_width = 1 + c.byte() % (img.interleave - img.copy_byte);
        }
        if (f & 0x10) img.reverse_bytes = 2 * (1 + c.byte() % 4);
        img.srec.record_len = c.byte();
        img.srec.force_s3 = f & 0x08;
        img.verilog_width = 1u << (c.byte() % 5);
        img.srec_header = "fuzz.srec";
        break;
      }
    }
  }
  // An ar archive (static library) goes through copy_archive, as `strip lib.a` does.
  auto copy = [](std::span<const uint8_t> in, const char* name, const CopyOptions& o) {
    return is_archive(in) ? copy_archive(in, name, o) : copy_to_memory(in, name, o);
  };
  if (image != OutputFormat::kElf && !is_archive({c.p, c.n})) {
    // A binary image spans at most the output bound, or up to --pad-to.
    if (!binary_input) img.reverse_bytes = 0;  // the CLI routes it to the ELF sections then
    if (!binary_input) img.interleave = 0, img.copy_byte = -1, img.copy_width = 1;
    // A bound of 1 MiB past the input keeps each run fast (gap fills and spans are what it bounds).
    const uint64_t limit = c.n + (uint64_t{1} << 20);
    auto bytes = image_to_memory({c.p, c.n}, "fuzz", opt, image, img, binary_input, limit);
    if (bytes.ok() && image == OutputFormat::kBinary && bytes->size() > limit + img.pad_to) __builtin_trap();
  }
  auto out = copy({c.p, c.n}, "fuzz", opt);
  for (int fd : fds) close(fd);
  if (!out.ok()) return 0;
  // Whatever objcopy writes must itself be readable, and copying it again must succeed, with one
  // exception: BFD's segment layout is not idempotent on hostile program headers (a layout it
  // followed once can put a non-load segment over the program headers, which BFD then rejects, or
  // derive a PT_GNU_RELRO past the end of the file from a hostile p_memsz), so the second copy may
  // refuse with the layout's own errors (elf/segment_layout.h, the writer's check_segments_fit),
  // as GNU fails or writes a file no reader accepts.
  CopyOptions plain;
  auto again = copy(*out, "fuzz-out", plain);
  // A hostile file's load addresses can also make the second layout of a file with segments need
  // more room than the first did (a PT_NOTE's address wrapped by its segment's p_paddr): the
  // output bound then refuses it, which is also accepted for such files.
  const bool layout_refusal = !again.ok() && (again.error().message.rfind("segment layout:", 0) == 0 ||
                                              (again.error().message.find("over the bound of") != std::string::npos &&
                                               has_program_headers(*out)));
  if (!again.ok() && !layout_refusal) {
    std::fprintf(stderr, "fuzz_objcopy: the output does not copy again: %s\n", again.error().str().c_str());
    __builtin_trap();
  }
  return 0;
}
