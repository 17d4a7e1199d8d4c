/**
 * Sizes as JupyterLab's file browser shows them (1 KB = 1024 bytes), to a tenth where
 * that matters: 1536 -> "1.5 KB", 25 * 1024 * 1024 -> "25 MB".
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
