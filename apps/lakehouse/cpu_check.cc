// apps/lakehouse/cpu_check.cc: refuses, in words, to run on a CPU older than the binary was
// compiled for (LAKEHOUSE_CPU, CMakeLists.txt), instead of dying later with SIGILL in the
// middle of a vector search. Compiled for baseline x86-64 and run as a constructor, before
// main() and before any code that may use the newer instructions.
#include <cpuid.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct Feature {
  const char* name;
  int present;  // __builtin_cpu_supports: nonzero when the CPU has it
};

// A feature bit of CPUID leaf 1 (ECX): clang's __builtin_cpu_supports does not know f16c and
// movbe.
int Cpuid1Ecx(int bit) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return 0;
  return static_cast<int>((ecx >> bit) & 1u);
}

// The features each x86-64 micro-architecture level adds that a compiler uses (psABI).
bool Check(const char* level) {
  __builtin_cpu_init();
  Feature v2[] = {{"ssse3", __builtin_cpu_supports("ssse3")},
                  {"sse4.1", __builtin_cpu_supports("sse4.1")},
                  {"sse4.2", __builtin_cpu_supports("sse4.2")},
                  {"popcnt", __builtin_cpu_supports("popcnt")}};
  Feature v3[] = {{"avx", __builtin_cpu_supports("avx")},
                  {"avx2", __builtin_cpu_supports("avx2")},
                  {"fma", __builtin_cpu_supports("fma")},
                  {"bmi", __builtin_cpu_supports("bmi")},
                  {"bmi2", __builtin_cpu_supports("bmi2")},
                  {"f16c", Cpuid1Ecx(29)},
                  {"movbe", Cpuid1Ecx(22)}};
  Feature v4[] = {{"avx512f", __builtin_cpu_supports("avx512f")},
                  {"avx512bw", __builtin_cpu_supports("avx512bw")},
                  {"avx512cd", __builtin_cpu_supports("avx512cd")},
                  {"avx512dq", __builtin_cpu_supports("avx512dq")},
                  {"avx512vl", __builtin_cpu_supports("avx512vl")}};
  int depth = std::strcmp(level, "x86-64-v4") == 0   ? 3
              : std::strcmp(level, "x86-64-v3") == 0 ? 2
              : std::strcmp(level, "x86-64-v2") == 0 ? 1
                                                     : 0;
  struct Group {
    Feature* begin;
    Feature* end;
  } groups[] = {{v2, v2 + sizeof v2 / sizeof *v2},
                {v3, v3 + sizeof v3 / sizeof *v3},
                {v4, v4 + sizeof v4 / sizeof *v4}};
  bool ok = true;
  for (int g = 0; g < depth; ++g) {
    for (Feature* f = groups[g].begin; f != groups[g].end; ++f) {
      if (f->present) continue;
      if (ok) std::fprintf(stderr, "lakehouse: this CPU lacks");
      std::fprintf(stderr, " %s", f->name);
      ok = false;
    }
  }
  if (!ok) {
    std::fprintf(stderr,
                 ", which this binary was compiled to use (%s).\n"
                 "Build one for this host: cmake -DLAKEHOUSE_CPU=x86-64-v2 (or "
                 "-DLAKEHOUSE_NATIVE=ON); docs/SHIPPING.md.\n",
                 level);
  }
  return ok;
}

// `native` has no fixed feature list: it is documented as "this host only".
__attribute__((constructor(101))) void RefuseOlderCpu() {
  if (!Check(LAKEHOUSE_CPU_TARGET)) std::_Exit(78);  // EX_CONFIG
}

}  // namespace
