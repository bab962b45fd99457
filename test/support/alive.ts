/** Whether a process of this id exists (signal 0: nothing is sent; a process we may not signal counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
