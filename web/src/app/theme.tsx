import { useEffect, useState } from 'react';

export type Theme = 'system' | 'light' | 'dark';
const themeKey = 'wfhub.theme';

export function savedTheme(): Theme {
  const value = localStorage.getItem(themeKey);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** Sets the page's theme: `system` follows the operating system's light or dark choice. */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** Light, dark, or as the system says; remembered in this browser. */
export function ThemeSwitch() {
  const [theme, setTheme] = useState(savedTheme);
  useEffect(() => {
    applyTheme(theme);
    if (theme === 'system') localStorage.removeItem(themeKey);
    else localStorage.setItem(themeKey, theme);
  }, [theme]);
  return (
    <label className="theme">
      <select aria-label="Theme" value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
