#include "merkle/build.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>

#include "elf/atomic_file.h"
#include "merkle/order.h"
#include "merkle/modsig/trailer.h"
#include "merkle/parallel.h"

namespace elfhash::merkle {

Result<ModuleSet> load_module_set(const std::string& order_path, const std::string& objtree,
                                  const std::string& suffix) {
  EH_ASSIGN(std::vector<std::string> stems, read_modules_order(order_path));
  ModuleSet set;
  set.paths.reserve(stems.size());
  for (const auto& s : stems) set.paths.push_back(join_path(objtree, s + suffix));
  set.stems = std::move(stems);
  return set;
}

Result<Tree> build_tree(const ModuleSet& set, unsigned threads) {
  EH_ASSIGN(std::vector<Hash> leaves, hash_files(set.paths, threads));
  return Tree::build(std::move(leaves));
}

namespace {

// True when `path` already is a 0644 regular file holding exactly `data`. Rewriting such a file would
// change nothing but its timestamps, and replacing files is what dominates a rebuild's proof step on
// ext4 (its replace-via-rename heuristic starts write-back for every renamed file).
bool already_written(const std::string& path, std::span<const uint8_t> data) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  struct stat st;
  bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 &&
              static_cast<uint64_t>(st.st_size) == data.size();
  if (same) {
    std::vector<uint8_t> buf(data.size() + 1);
    ssize_t n = ::pread(fd, buf.data(), buf.size(), 0);
    same = n == static_cast<ssize_t>(data.size()) && std::memcmp(buf.data(), data.data(), data.size()) == 0;
  }
  ::close(fd);
  return same;
}

}  // namespace

Status write_proofs(const Tree& tree, const std::vector<std::string>& proof_paths, bool make_dirs,
                    unsigned threads) {
  if (proof_paths.size() != tree.size())
    return make_error("", kNoOffset, "internal: proof path count differs from the module count");
  // A module listed twice in modules.order would have two leaves but one proof file, and the two
  // parallel writes would race (the surviving pos depended on scheduling): refuse it before writing
  // anything, as seal does.
  std::unordered_map<std::string_view, size_t> first_line;
  for (size_t i = 0; i < proof_paths.size(); ++i)
    if (auto [it, fresh] = first_line.emplace(proof_paths[i], i); !fresh)
      return make_error(proof_paths[i], kNoOffset,
                        fmt::format("modules.order line {} names the same module as line {}; one proof file "
                                    "cannot carry two positions",
                                    i + 1, it->second + 1));
  if (make_dirs) {
    std::set<std::filesystem::path> done;  // modules share few directories: create each once
    for (const auto& p : proof_paths) {
      auto parent = std::filesystem::path(p).parent_path();
      if (parent.empty() || !done.insert(parent).second) continue;
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) return make_error(parent.string(), kNoOffset, "cannot create directory: " + ec.message());
    }
  }
  // Small files, one atomic create+rename each: spread over threads like the hashing.
  size_t n = proof_paths.size();
  std::vector<std::optional<Error>> errors(n);
  parallel_for<NoState>(n, threads, [&](NoState&, size_t i) {
    auto trailer = build_merkle_trailer(static_cast<uint32_t>(i), tree.proof(static_cast<uint32_t>(i)));
    if (already_written(proof_paths[i], trailer)) return;
    auto st = write_file_atomic(proof_paths[i], trailer, 0644);
    if (!st.ok()) errors[i] = st.error();
  });
  for (auto& e : errors)
    if (e) return *e;
  return ok_status();
}

Result<std::string> proof_path_under(const std::string& dir, const std::string& stem) {
  std::filesystem::path p(stem);
  if (p.is_absolute())
    return make_error(stem, kNoOffset, "absolute modules.order entry cannot be mirrored under --proofs-out");
  for (const auto& part : p)
    if (part == "..")
      return make_error(stem, kNoOffset, "'..' in a modules.order entry would leave the --proofs-out directory");
  return join_path(dir.empty() ? "." : dir, stem + ".merkle");
}

}  // namespace elfhash::merkle
