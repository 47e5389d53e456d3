#include "merkle/compression/input.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace elfhash::compression {
namespace {

Result<std::vector<uint8_t>> read_stream(int fd, const std::string& name) {
  std::vector<uint8_t> out;
  size_t used = 0;
  for (;;) {
    if (out.size() - used < 65536) out.resize(std::max<size_t>(out.size() * 2, 1 << 20));
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(name, used, std::string("read: ") + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used > kMaxModuleSize) return make_error(name, kNoOffset, fmt::format("more than {} bytes", kMaxModuleSize));
  }
  out.resize(used);
  return out;
}

bool is_regular(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Result<Input> read_input(const std::string& path) {
  Input in;
  in.name = path;
  if (path != "-" && is_regular(path)) {
    EH_ASSIGN(in.mapped, MappedFile::open(path));
  } else if (path == "-") {
    EH_ASSIGN(in.owned, read_stream(STDIN_FILENO, path));
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(path, kNoOffset, std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return make_error(path, kNoOffset, "is a directory");
    }
    auto r = read_stream(fd, path);
    ::close(fd);
    if (!r.ok()) return r.error();
    in.owned = std::move(*r);
  }
  EH_TRY(decompress_input(in));
  return in;
}

Status decompress_input(Input& in, uint64_t max_size, uint64_t decoder_memory) {
  in.file_size = in.bytes().size();
  in.compression = detect(in.bytes());
  if (in.compression == Format::kNone) return ok_status();
  EH_ASSIGN(std::vector<uint8_t> plain, decompress(in.compression, in.bytes(), in.name, max_size, decoder_memory));
  in.mapped.reset();
  in.owned = std::move(plain);
  return ok_status();
}

}  // namespace elfhash::compression
