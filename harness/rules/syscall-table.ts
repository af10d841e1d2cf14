// Syscall names for the two machines this project runs on, keyed by the ELF arch value the
// kernel stores in an arch field. Without an arch field, auditctl uses the running machine.
import { syscallsI386, syscallsX86_64 } from './tables.ts';

export const ELF_X86_64 = 0xc000003e;
export const ELF_I386 = 0x40000003;
/** __AUDIT_ARCH_64BIT: set in every 64-bit ELF arch value */
export const ARCH_64BIT = 0x80000000;
/** the kernel's syscall bitmap holds 64 words of 32 bits */
export const MAX_SYSCALL = 64 * 32 - 1;

export type Machine = 'x86_64' | 'i386';

/** The machine whose table names syscalls for a rule without an arch field. */
export function detectMachine(): Machine {
  // auditctl uses uname(); this project only runs on x86_64 kernels (i386 via -F arch=b32)
  return process.arch === 'ia32' ? 'i386' : 'x86_64';
}

export function machineForElf(elf: number): Machine | undefined {
  if (elf === ELF_X86_64) return 'x86_64';
  if (elf === ELF_I386) return 'i386';
  return undefined;
}

export const elfForMachine = (m: Machine): number => (m === 'x86_64' ? ELF_X86_64 : ELF_I386);

const tableFor = (m: Machine) => (m === 'x86_64' ? syscallsX86_64() : syscallsI386());

/** syscall number for a name (case-insensitive) on a machine, or undefined */
export function syscallNumber(name: string, m: Machine): number | undefined {
  return tableFor(m).byName.get(name.toLowerCase());
}

export function syscallName(nr: number, m: Machine): string | undefined {
  return tableFor(m).byNumber.get(nr);
}

/**
 * Machine for an -F arch= value, as libaudit's audit_determine_machine reads it:
 * b64 / b32 (relative to the running machine), a machine name, or a hex ELF value.
 */
export function machineForArchName(value: string): Machine | undefined {
  const v = value.toLowerCase();
  const running = detectMachine();
  if (v === 'b64') return running === 'x86_64' ? 'x86_64' : undefined;
  if (v === 'b32') return 'i386';
  if (v === 'x86_64') return 'x86_64';
  if (v === 'i386' || v === 'i486' || v === 'i586' || v === 'i686') return 'i386';
  return undefined;
}
