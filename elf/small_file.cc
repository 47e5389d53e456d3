#include "elf/small_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace elfhash {

Result<std::vector<uint8_t>> read_regular_file(const std::string& path, uint64_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block the open
  if (fd < 0) return make_error(path, kNoOffset, std::string("open: ") + std::strerror(errno));
  struct stat st;
  Result<std::vector<uint8_t>> result = make_error(path, kNoOffset, "");
  if (fstat(fd, &st) != 0) {
    result = make_error(path, kNoOffset, std::string("stat: ") + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    result = make_error(path, kNoOffset, "not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > max_size) {
    result = make_error(path, kNoOffset, fmt::format("{} bytes, more than the {} expected at most", st.st_size, max_size));
  } else {
    std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::read(fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    if (done == data.size()) result = std::move(data);
    else result = make_error(path, done, "short read (file changed while reading?)");
  }
  ::close(fd);
  return result;
}

}  // namespace elfhash
