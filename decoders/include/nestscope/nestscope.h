/* libnestscope: find, decode and judge nested-VMX state. */
#ifndef NESTSCOPE_H
#define NESTSCOPE_H

#include "catalog.h"
#include "checks.h"
#include "command.h"
#include "decode.h"
#include "error.h"
#include "explain.h"
#include "diff.h"
#include "hwlayout.h"
#include "layout.h"
#include "locate.h"
#include "nested_state.h"
#include "render.h"
#include "migstream.h"
#include "render_kvm.h"
#include "scan.h"
#include "session.h"
#include "types.h"
#include "vmcs12.h"
#include "vmcs12_abi.h"
#include "vmcb.h"
#include "svm_vcpu.h"
#include "vmcb_diff.h"
#include "svm_explain.h"
#include "svm_checks.h"

#define NESTSCOPE_VERSION "0.1.0"

#endif
