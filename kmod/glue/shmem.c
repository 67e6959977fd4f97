// SPDX-License-Identifier: GPL-2.0
/*
 * kbridge C glue: the shared state page and its mappings.
 * Each function wraps one kernel construct and holds no logic
 * (rules: kbridge_glue.h); the Rust side is sys/shmem.rs.
 */

#include <linux/gfp.h>
#include <linux/mm.h>

#include "kbridge_glue.h"

unsigned long kbridge_glue_get_zeroed_page(void)
{
	return get_zeroed_page(GFP_KERNEL);
}

void kbridge_glue_free_page(unsigned long addr)
{
	free_page(addr);
}

void kbridge_glue_vma_info(struct vm_area_struct *vma, unsigned long *len,
			   unsigned long *pgoff, bool *write, bool *exec)
{
	*len = vma->vm_end - vma->vm_start;
	*pgoff = vma->vm_pgoff;
	*write = vma->vm_flags & VM_WRITE;
	*exec = vma->vm_flags & VM_EXEC;
}

void kbridge_glue_vma_seal(struct vm_area_struct *vma)
{
	vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP, VM_MAYWRITE | VM_MAYEXEC);
}

/*
 * The page's VMAs: each holds a reference on the page (taken at mmap, on a
 * split or fork by .open, dropped by .close), so the page outlives the board
 * while mapped, and .fault maps it on every first access, also after
 * MADV_DONTNEED dropped the PTE (vm_insert_page() alone left such a re-fault
 * to SIGBUS).
 */
static void kbridge_page_vm_open(struct vm_area_struct *vma)
{
	get_page(vma->vm_private_data);
}

static void kbridge_page_vm_close(struct vm_area_struct *vma)
{
	put_page(vma->vm_private_data);
}

static vm_fault_t kbridge_page_vm_fault(struct vm_fault *vmf)
{
	struct page *page = vmf->vma->vm_private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kbridge_page_vm_ops = {
	.open = kbridge_page_vm_open,
	.close = kbridge_page_vm_close,
	.fault = kbridge_page_vm_fault,
};

void kbridge_glue_vma_map_page(struct vm_area_struct *vma, unsigned long addr)
{
	struct page *page = virt_to_page((void *)addr);

	get_page(page);
	vma->vm_private_data = page;
	vma->vm_ops = &kbridge_page_vm_ops;
}
