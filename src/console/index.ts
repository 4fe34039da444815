// console/ owns the web console served at `/`: its static files, the vendored front-end modules, and the one
// read route a paged, filtered org page needs. It must not hold domain logic: it reads through ApiDeps.
export { consoleMiddleware, CONSOLE_FILES } from './static.ts';
export { consoleRoutes } from './resource-index.ts';
