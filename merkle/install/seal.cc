#include "merkle/install/seal.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "elf/cleanup.h"
#include "elf/copy.h"
#include "elf/mapped_file.h"
#include "elf/reader.h"
#include "elf/small_file.h"
#include "merkle/order.h"
#include "merkle/parallel.h"
#include "merkle/patch.h"
#include "merkle/install/seal_vmlinux.h"
#include "merkle/install/staging.h"
#include "merkle/modsig/trailer.h"
#include "merkle/tree.h"

namespace elfhash::merkle {
namespace {

struct Module {
  std::string stem;
  std::string src;  // <objtree>/<stem>.ko
  std::string dst;  // lib/modules/<release>/kernel/<stem>.ko
  uint64_t in_size = 0;
  uint64_t out_size = 0;  // installed bytes before the trailer (the leaf, spec §2.2)
  // --compress only: the leaf bytes, kept until the trailer is known (the compressed stream covers both,
  // spec §5.3). Without compression they are written at once and only the digest is kept.
  std::vector<uint8_t> kept;
};

// The bytes of one module as they will be installed, and what owns them while they are in use.
struct Loaded {
  std::shared_ptr<MappedFile> input;  // unstripped: the private copy that is hashed and written
  std::vector<uint8_t> stripped;
  std::span<const uint8_t> bytes;
  uint64_t in_size = 0;
};

// Wall time of each pass (seal.h, SealSummary::passes).
class PassTimer {
 public:
  explicit PassTimer(std::vector<std::pair<std::string, double>>& out) : out_(out) {}
  void lap(const char* name) {
    auto now = std::chrono::steady_clock::now();
    out_.emplace_back(name, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  std::vector<std::pair<std::string, double>>& out_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Serialises progress reports from the workers.
class Progress {
 public:
  explicit Progress(const SealOptions& o) : fn_(o.progress) {}
  void report(std::string_view stage, size_t done, size_t total) {
    if (!fn_) return;
    std::lock_guard lock(mu_);
    fn_(stage, done, total);
  }

 private:
  const std::function<void(std::string_view, size_t, size_t)>& fn_;
  std::mutex mu_;
};

// Runs job(i) over [0, n) in parallel and returns the error of the lowest failing index, so the error
// reported never depends on scheduling. Later indices are skipped once one has failed.
template <class Job>
Status for_each_module(size_t n, unsigned threads, Job job) {
  std::vector<std::optional<Error>> errors(n);
  std::atomic<size_t> first_failed{SIZE_MAX};
  struct NoState {};
  parallel_for<NoState>(n, threads, [&](NoState&, size_t i) {
    if (i > first_failed.load(std::memory_order_relaxed)) return;
    Status st = job(i);
    if (st.ok()) return;
    errors[i] = st.error();
    size_t cur = first_failed.load();
    while (i < cur && !first_failed.compare_exchange_weak(cur, i)) {
    }
  });
  size_t bad = first_failed.load();
  if (bad != SIZE_MAX) return *errors[bad];
  return ok_status();
}

Result<std::vector<Module>> list_modules(const std::string& objtree, const std::string& release) {
  std::string order = join_path(objtree, "modules.order");
  EH_ASSIGN(std::vector<std::string> stems, read_modules_order(order));
  if (stems.size() > UINT32_MAX) return make_error(order, kNoOffset, "more modules than a be32 position can address");
  std::vector<Module> mods(stems.size());
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < stems.size(); ++i) {
    EH_ASSIGN(mods[i].dst, installed_module_path(release, stems[i]));
    mods[i].stem = stems[i];
    mods[i].src = join_path(objtree, stems[i] + ".ko");
    auto [it, fresh] = seen.emplace(stems[i], i);
    if (!fresh)
      return make_error(order, kNoOffset,
                        fmt::format("line {}: '{}.o' is listed twice (first on line {}); one installed file "
                                    "cannot carry two proofs",
                                    i + 1, stems[i], it->second + 1));
  }
  return mods;
}

// Reads one module and produces the bytes that will be installed (and hashed).
Result<Loaded> load_module(const Module& m, size_t line, const std::optional<elf::CopyOptions>& strip) {
  // Unstripped modules are hashed and later written as they are: a private copy, so both see the same
  // bytes. Stripped ones are read through the mapping once, into the stripped copy; the file must not
  // have changed meanwhile (a mix of two versions), which check_unchanged() sees (elf/mapped_file.h).
  auto opened = strip ? MappedFile::open(m.src) : MappedFile::read(m.src);
  if (!opened.ok()) {
    struct stat st;  // only on failure: one stat per module is measurable on 4000 modules
    if (::stat(m.src.c_str(), &st) != 0 && errno == ENOENT)
      return make_error(m.src, kNoOffset,
                        fmt::format("module listed on line {} of modules.order is missing", line + 1));
    return opened.error();
  }
  Loaded l;
  l.input = std::move(*opened);
  auto in = l.input->bytes();
  l.in_size = in.size();
  // The kernel's tool cannot hash a zero-length module (spec §2.2); neither does seal.
  if (in.empty()) return make_error(m.src, kNoOffset, "empty module file");
  if (has_trailer_marker(in))
    return make_error(m.src, in.size() - kMarkerSize,
                      "module already ends in \"~Module signature appended~\" (signed or sealed before); "
                      "seal needs the module as built");
  if (!strip) {
    l.bytes = in;
    return l;
  }
  auto stripped = elf::copy_to_memory(in, m.src, *strip);
  EH_TRY(l.input->check_unchanged());  // first: a change explains a strip error too
  if (!stripped.ok()) return stripped.error();
  l.stripped = std::move(*stripped);
  l.bytes = l.stripped;
  l.input.reset();  // the unstripped file is no longer needed
  return l;
}

// Pass 1, per module in parallel: load, strip, hash as leaf i, and (without --compress) write the bytes
// into the temporary tree at once. Only the digest and the sizes stay in memory, so the peak RSS is
// the modules in flight, not all of them (4000 stripped modules are 400 MB). The trailer is appended
// by pass 2, once the tree is known; nothing is visible before publication, so the two steps need not
// be one write.
Result<std::vector<Hash>> load_hash_write(StagingDir& dir, std::vector<Module>& mods, const SealOptions& opt,
                                          Progress& progress) {
  std::vector<Hash> leaves(mods.size());
  std::atomic<size_t> done{0};
  EH_TRY(for_each_module(mods.size(), opt.threads, [&](size_t i) -> Status {
    Module& m = mods[i];
    EH_ASSIGN(Loaded l, load_module(m, i, opt.strip));
    m.in_size = l.in_size;
    m.out_size = l.bytes.size();
    thread_local Sha256 sha;
    leaves[i] = sha.leaf(static_cast<uint32_t>(i), l.bytes);
    if (opt.compression == Compression::kNone)
      EH_TRY(dir.write_file(m.dst, {l.bytes}, 0644, StagingDir::kMore));
    else
      m.kept = l.stripped.empty() ? std::vector<uint8_t>(l.bytes.begin(), l.bytes.end()) : std::move(l.stripped);
    progress.report("modules", done.fetch_add(1) + 1, mods.size());
    return ok_status();
  }));
  return leaves;
}

// Pass 2: each module's proof trailer (spec §3.1) after its bytes; with --compress, the whole file.
Status write_trailers(StagingDir& dir, std::vector<Module>& mods, const Tree& tree, const SealOptions& opt,
                      std::atomic<uint64_t>& written) {
  return for_each_module(mods.size(), opt.threads, [&](size_t i) -> Status {
    auto pos = static_cast<uint32_t>(i);
    std::vector<uint8_t> trailer = build_merkle_trailer(pos, tree.proof(pos));
    if (opt.compression == Compression::kNone) {
      EH_TRY(dir.append_file(mods[i].dst, {trailer}));
      written += mods[i].out_size + trailer.size();
    } else {
      // Compression runs after the proof is appended (spec §5.3).
      EH_ASSIGN(std::vector<uint8_t> z, compress(opt.compression, {mods[i].kept, trailer}, mods[i].src));
      EH_TRY(dir.write_file(mods[i].dst + compression_suffix(opt.compression), {z}, 0644));
      written += z.size();
      mods[i].kept = {};  // release memory as we go
    }
    return ok_status();
  });
}

// lib/modules/R and every directory a module goes into, before pass 1 writes into them.
Status make_module_dirs(StagingDir& dir, const std::string& moddir, const std::vector<Module>& mods) {
  std::set<std::string> dirs = {moddir};
  for (const auto& m : mods) dirs.insert(std::filesystem::path(m.dst).parent_path().string());
  for (const auto& d : dirs) EH_TRY(dir.make_dirs(d));
  return ok_status();
}

std::span<const uint8_t> as_bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// modules_install's copies of the order files (scripts/Makefile.modinst): modules.order rewritten to
// the installed names ("kernel/<stem>.ko"), modules.builtin{,.modinfo} as they are, when present.
Status write_order_files(StagingDir& dir, const std::string& objtree, const std::string& moddir,
                         const std::vector<Module>& mods) {
  std::string order;
  for (const auto& m : mods) order += "kernel/" + m.stem + ".ko\n";
  EH_TRY(dir.write_file(moddir + "/modules.order", {as_bytes(order)}));
  for (const char* name : {"modules.builtin", "modules.builtin.modinfo"}) {
    std::string src = join_path(objtree, name);
    struct stat st;
    if (::stat(src.c_str(), &st) != 0) continue;
    EH_ASSIGN(std::vector<uint8_t> data, read_regular_file(src, uint64_t{1} << 30));
    EH_TRY(dir.write_file(moddir + "/" + name, {data}));
  }
  return ok_status();
}

uint64_t file_size(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

Result<std::string> installed_module_path(const std::string& release, const std::string& stem) {
  std::filesystem::path p(stem);
  if (stem.empty() || p.is_absolute())
    return make_error(stem, kNoOffset, "modules.order entry must be a relative path below the objtree");
  for (const auto& part : p)
    if (part == ".." || part == ".")
      return make_error(stem, kNoOffset, "'.' or '..' in a modules.order entry would leave lib/modules/<release>/kernel");
  return fmt::format("lib/modules/{}/kernel/{}.ko", release, stem);
}

Result<std::string> resolve_release(const std::string& given, const std::string& objtree,
                                    const std::function<std::optional<std::string>()>& banner,
                                    const std::string& vmlinux_path) {
  if (!given.empty()) {
    if (!valid_release(given))
      return make_error("--kernel-release", kNoOffset, fmt::format("'{}' cannot name a directory", given));
    return given;
  }
  std::string file = join_path(objtree, "include/config/kernel.release");
  struct stat st;
  if (::stat(file.c_str(), &st) == 0) {
    EH_ASSIGN(std::vector<uint8_t> text, read_regular_file(file, 4096));
    std::string r(text.begin(), text.end());
    r = r.substr(0, r.find('\n'));
    if (!valid_release(r)) return make_error(file, 0, fmt::format("'{}' is not a usable kernel release", r));
    return r;
  }
  if (auto r = banner()) return *r;
  return make_error(vmlinux_path, kNoOffset,
                    "no kernel release: pass --kernel-release, or provide include/config/kernel.release "
                    "(no \"Linux version\" banner found either)");
}

Result<SealSummary> seal(const SealOptions& opt) {
  SealSummary sum;
  PassTimer timer(sum.passes);
  Progress progress(opt);
  std::string vmlinux_in = join_path(opt.objtree, "vmlinux.unstripped");
  // Fail fast on a kernel without CONFIG_MODULE_HASHES, before any module work.
  EH_ASSIGN(elf::ElfFile elf_value, elf::ElfFile::open(vmlinux_in));
  auto elf = std::make_shared<const elf::ElfFile>(std::move(elf_value));
  EH_TRY(find_module_hashes(*elf));
  EH_ASSIGN(std::string release,
            resolve_release(opt.kernel_release, opt.objtree, [&] { return banner_release(*elf); }, vmlinux_in));
  EH_ASSIGN(std::vector<Module> mods, list_modules(opt.objtree, release));

  // Everything is written into a private directory that is published at the end (staging.h).
  EH_ASSIGN(StagingDir dir, StagingDir::create(opt.out, opt.fsync));
  std::string moddir = "lib/modules/" + release;
  EH_TRY(make_module_dirs(dir, moddir, mods));
  timer.lap("open");
  // The vmlinux copy (the largest single job) runs while the modules are stripped and hashed; only
  // its 36 .module_hashes bytes wait for the root.
  Status vm_written = make_error("", kNoOffset, "not run");
  double vm_seconds = 0;
  // An exception (bad_alloc) must not end the process through std::terminate: it is handed to this
  // thread and rethrown after the join, where main's catch-all reports it as one line.
  std::exception_ptr vm_exception;
  std::thread vm_thread([&] {
    auto t0 = std::chrono::steady_clock::now();
    try {
      vm_written = write_objcopy_vmlinux(elf->file(), dir.path("vmlinux"));
    } catch (...) {
      vm_exception = std::current_exception();
    }
    vm_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{vm_thread};
  auto leaves = load_hash_write(dir, mods, opt, progress);
  if (!leaves.ok()) return leaves.error();
  timer.lap("strip+hash+write");
  stop_point("hashed");
  Tree tree = Tree::build(std::move(*leaves));
  timer.lap("tree");

  sum.release = release;
  sum.modules = mods.size();
  sum.levels = tree.levels();
  sum.root = tree.root();
  for (const auto& m : mods) sum.bytes_in += m.in_size;

  progress.report("vmlinux", 0, 1);
  std::atomic<uint64_t> written{0};
  EH_TRY(write_trailers(dir, mods, tree, opt, written));
  EH_TRY(write_order_files(dir, opt.objtree, moddir, mods));
  sum.bytes_installed = written.load();
  timer.lap("trailers");
  vm_thread.join();
  timer.lap("vmlinux wait");
  sum.passes.emplace_back("(vmlinux thread)", vm_seconds);
  if (vm_exception) std::rethrow_exception(vm_exception);
  EH_TRY(vm_written);
  EH_TRY(fill_module_hashes(dir.path("vmlinux"), {tree.levels(), tree.root()}));
  EH_TRY(dir.sync_file("vmlinux"));
  sum.vmlinux_bytes = file_size(dir.path("vmlinux"));

  // The vmlinux copy read vmlinux.unstripped through its mapping and its descriptor: it must still be
  // the file that was parsed.
  EH_TRY(elf->file()->check_unchanged());
  std::vector<std::string> replace = {moddir};
  if (opt.vmlinux_out.empty()) {
    replace.push_back("vmlinux");
    sum.vmlinux = join_path(opt.out, "vmlinux");
  } else {
    sum.vmlinux = opt.vmlinux_out;
    Status moved = dir.move_out("vmlinux", opt.vmlinux_out);
    if (!moved.ok())
      return make_error(opt.vmlinux_out, kNoOffset,
                        fmt::format("{}; --vmlinux-out must be on the same file system as the staging directory",
                                    moved.error().message));
  }
  EH_TRY(dir.publish(replace));
  timer.lap("publish");
  sum.modules_dir = join_path(opt.out, moddir);
  return sum;
}

}  // namespace elfhash::merkle
