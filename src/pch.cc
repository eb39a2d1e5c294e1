// src/pch.cc: the translation unit that compiles the shared precompiled header
// (src/CMakeLists.txt, lakehouse_pch). Nothing else lives here.
