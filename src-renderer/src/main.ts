import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { applyTheme, storedTheme } from './lib/theme';

applyTheme(storedTheme());

mount(App, { target: document.getElementById('app') as HTMLElement });
