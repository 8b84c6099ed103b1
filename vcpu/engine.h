/*
 * vcpu/engine.h — the engine interface lives in the public SDK
 * (memvirt/engine.h) because plugins see its exit records; engines
 * include it from here.
 */
#ifndef MEMVIRT_VCPU_ENGINE_H
#define MEMVIRT_VCPU_ENGINE_H
#include "memvirt/engine.h"
#endif
