// src/core/thread_annotations.h: say which mutex guards which state, and let clang check it.
//
// Clang's thread-safety analysis (-Wthread-safety) proves at compile time that a member
// marked LH_GUARDED_BY(mu_) is only touched with mu_ held, and that a function marked
// LH_REQUIRES(mu_) is only called with it held. GCC ignores the attributes: the release
// and sanitizer builds are unaffected, and `make check-threads` (run by CI) compiles the
// tree with clang and -Werror=thread-safety.
//
// libstdc++'s std::mutex carries no capability attribute, so annotated state uses
// lakehouse::Mutex / MutexLock below (a std::mutex with the attributes) and SharedMutex /
// ReaderLock / WriterLock for reader-writer locks. Condition variables wait on them with
// std::condition_variable_any (they are BasicLockable).
//
// Thread-safety: the wrappers are exactly as thread-safe as the standard types inside.
#pragma once

#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define LH_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LH_THREAD_ANNOTATION(x)
#endif

#define LH_CAPABILITY(x) LH_THREAD_ANNOTATION(capability(x))
#define LH_SCOPED_CAPABILITY LH_THREAD_ANNOTATION(scoped_lockable)
#define LH_GUARDED_BY(x) LH_THREAD_ANNOTATION(guarded_by(x))
#define LH_PT_GUARDED_BY(x) LH_THREAD_ANNOTATION(pt_guarded_by(x))
#define LH_REQUIRES(...) LH_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define LH_REQUIRES_SHARED(...) LH_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define LH_ACQUIRE(...) LH_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define LH_ACQUIRE_SHARED(...) LH_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define LH_RELEASE(...) LH_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define LH_RELEASE_SHARED(...) LH_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define LH_RELEASE_GENERIC(...) LH_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define LH_TRY_ACQUIRE(...) LH_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define LH_EXCLUDES(...) LH_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define LH_NO_THREAD_SAFETY_ANALYSIS LH_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace lakehouse {

class LH_CAPABILITY("mutex") Mutex {
 public:
  void lock() LH_ACQUIRE() { mu_.lock(); }
  void unlock() LH_RELEASE() { mu_.unlock(); }
  bool try_lock() LH_TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  std::mutex mu_;
};

//! Holds a Mutex for its scope.
class LH_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) LH_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() LH_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

class LH_CAPABILITY("shared_mutex") SharedMutex {
 public:
  void lock() LH_ACQUIRE() { mu_.lock(); }
  void unlock() LH_RELEASE() { mu_.unlock(); }
  void lock_shared() LH_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() LH_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

//! Holds a SharedMutex exclusively for its scope.
class LH_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) LH_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() LH_RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

//! Holds a SharedMutex shared for its scope.
class LH_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) LH_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() LH_RELEASE() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace lakehouse
