/*
 * softtlb/softtlb.h — the `softtlb` memory backend (Method 1): the guest
 * runs the architected-TLB machine; its TLB commands exit to the VMM,
 * which keeps each VM's virtual TLB (softtlb/vtlb.h), writes the real TLB
 * with frames translated GPA -> HPA, refills the real TLB from the virtual
 * one when a miss hits an entry the guest believes present (a hidden
 * refill), reflects other misses to the guest's refill handler, and at
 * every VM switch flushes the real TLB and rewrites it from the incoming
 * VM's virtual TLB.
 *
 * Option `vtlb=N`: the guest sees a TLB of N entries (default: the real
 * TLB's size).  With N larger than the real TLB, the real TLB caches part
 * of the virtual one (Disco's second-level software TLB) and hidden
 * refills bring the rest in.
 */
#ifndef MEMVIRT_SOFTTLB_SOFTTLB_H
#define MEMVIRT_SOFTTLB_SOFTTLB_H

#include "memvirt/backend.h"

extern const struct mv_backend_ops softtlb_backend_ops;

#endif
