/*
 * asid/asid.h — the `asid` memory backend (Method 2): the guest runs the
 * architected-TLB machine, its TLB commands exit to the VMM and update the
 * VM's virtual TLB (softtlb/vtlb.h) as under softtlb, but the real TLB is
 * shared by all VMs: its entries carry real ASIDs, an ASID map table maps
 * (VM, guest ASID) to a real ASID, and a VM switch rewrites nothing (it
 * only loads the incoming VM's real ASID).  When every real ASID is taken
 * the least recently used one is recycled: its entries are flushed and
 * its old owner gets another on its next use.
 *
 * A guest's global entries are real global entries while their VM runs;
 * a VM switch drops the outgoing VM's (a handful: the guest kernel's),
 * so that no VM sees another's translations, and the incoming VM takes
 * its own back through hidden refills.  Nothing is rewritten.
 *
 * The real ASID width is the MMU's (`--tlb asid-bits=B`; widths above 16
 * bits are used as 16).
 */
#ifndef MEMVIRT_ASID_ASID_H
#define MEMVIRT_ASID_ASID_H

#include "memvirt/backend.h"

extern const struct mv_backend_ops asid_backend_ops;

#endif
