/*
 * core/hw.c — which glue goes with which engine.
 */
#include "core/hw.h"

#include <string.h>

extern const struct hw_glue hw_soft_glue;
extern const struct hw_glue hw_kvm_glue;

const struct hw_glue *hw_glue_for(const char *engine_name)
{
	if (!strcmp(engine_name, "soft"))
		return &hw_soft_glue;
	if (!strcmp(engine_name, "kvm"))
		return &hw_kvm_glue;
	return NULL;
}
