// src/core/thread_name.h: names a thread as `top -H`, gdb and /proc/PID/task/*/comm show it,
// so a busy or blocked thread says which pool or job it serves (docs/HTTP_API.md).
//
// Linux keeps 15 characters: a longer name is cut there rather than refused.
//
// Thread-safety: call from the thread that owns `t`, while it is joinable (or with
// pthread_self(), from the thread itself).
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>
#include <thread>

namespace lakehouse {

inline void NameThread(pthread_t t, std::string_view name) {
  const std::string kept(name.substr(0, 15));
  pthread_setname_np(t, kept.c_str());
}
inline void NameThread(std::thread& t, std::string_view name) {
  NameThread(t.native_handle(), name);
}

}  // namespace lakehouse
