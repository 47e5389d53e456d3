// The temporary files and directories of a run, and what happens to them when the run is cut short
// (docs/cli.md, "Temporary files, signals and publication").
//
// SIGINT, SIGTERM and SIGHUP: install_signal_cleanup() blocks the three signals in every thread and
// hands them to one dedicated thread (sigwait), so the cleanup is ordinary code, not a signal handler:
// it takes the registry lock (waiting for a rename or publication in progress to finish, so a target
// is either entirely old or entirely new), removes every registered temporary (a staging tree is first
// renamed aside, so workers still writing into it by path fail instead of recreating entries), keeps
// the lock so nothing new is created or published, then re-raises the signal with its default
// disposition: the process ends BY that signal, as the shell expects.
//
// SIGKILL cannot be caught: the names of temporaries carry the owner's pid
// (`.NAME.elfhash-<pid>-XXXXXX`, `.NAME.elfhash-seal-<pid>-XXXXXX`) and the owner holds a flock on
// each; the next run that creates a temporary in the same directory removes those whose pid is dead and
// whose lock is free (remove_stale_temps).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace elfhash {

// main(), before any other thread exists (threads inherit the blocked mask).
void install_signal_cleanup();

enum class TempKind {
  kFile,      // unlink
  kTree,      // rename aside, then remove recursively
  kEmptyDir,  // rmdir (succeeds only while empty: a directory this run created for its output)
};

// Runs `fn` under the registry lock: a signal's cleanup happens entirely before or after it. Creation
// of a temporary and its registration, and every rename that publishes one, go through this. The lock
// is shared between the threads that call this (they do not wait for each other's file-system calls)
// and exclusive against the cleanup.
void with_cleanup_lock(const std::function<void()>& fn);
// Registers a temporary; call inside with_cleanup_lock, right after creating it. Returns its id.
uint64_t register_temp(const std::string& path, TempKind kind);
// Forgets a temporary (published, or removed by its owner); inside with_cleanup_lock or not.
void unregister_temp(uint64_t id);

// "elfhash-<pid>-" / "elfhash-seal-<pid>-": the infix of this process's temporary names.
std::string temp_infix(const char* kind);
// Removes the stale temporaries in `dir` (see above). Each directory is scanned once per process.
void remove_stale_temps(const std::string& dir);

// main()'s return: a signal that arrived while the last output was being published still ends the
// process by that signal (after its cleanup), instead of a normal exit that would hide it.
int finish_run(int rc);

// Test hook (tools/tests/faults_test.sh): if $ELFHASH_STOP_AT equals `point`, the process stops
// itself (SIGSTOP) there, so a test can change the input or send a signal at a known moment.
void stop_point(const char* point);

}  // namespace elfhash
