// The frontend build: compiles the Wasm SIMD kernel with clang, then bundles
// with esbuild. Outputs:
//   ../src/pelican_widget/static/widget.js  the anywidget ESM (shipped in the wheel)
//   ../src/pelican_widget/static/widget.css its styles, anywidget's `_css`
//   build/engine.mjs                        the engine alone, for Node tests and benchmarks
//   ../src/pelican_widget/static/headless.mjs  the engine under Node, for pelican_widget.headless
// The kernel and the Worker source are inlined in both bundles, so nothing is
// fetched or resolved against import.meta.url at run time.
import { execFileSync } from "node:child_process";
import { mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, "build");
const staticDir = join(here, "..", "src", "pelican_widget", "static");
const watch = process.argv.includes("--watch");

function findTool(names, debianPackage) {
  for (const name of names) {
    try {
      execFileSync(name, ["--version"], { stdio: "ignore" });
      return name;
    } catch {
      // try the next candidate name
    }
  }
  console.error(
    `build: none of ${names.join(", ")} found. The Wasm kernel needs Debian's ` +
      `'${debianPackage}' package: apt-get install -y clang lld (or run 'make setup').`,
  );
  process.exit(1);
}

function compileKernel() {
  const clang = findTool(["clang", "clang-19", "clang-16", "clang-14"], "clang");
  findTool(["wasm-ld", "wasm-ld-19", "wasm-ld-16", "wasm-ld-14"], "lld");
  mkdirSync(buildDir, { recursive: true });
  execFileSync(
    clang,
    [
      "--target=wasm32",
      "-O3",
      "-msimd128",
      "-nostdlib",
      "-fno-builtin",
      "-Wall",
      "-Werror",
      "-Wl,--no-entry",
      "-Wl,--export-dynamic",
      "-Wl,--growable-table",
      "-Wl,--stack-first",
      "-Wl,-z,stack-size=1048576",
      "-o",
      join(buildDir, "kernel.wasm"),
      join(here, "engine", "wasm", "kernel.c"),
    ],
    { stdio: "inherit" },
  );
}

// Resolves `virtual:wasm-worker-source` to the bundled Worker code as a string,
// so the engine can start module Workers from a Blob URL.
const inlineWorker = {
  name: "inline-worker",
  setup(build) {
    build.onResolve({ filter: /^virtual:wasm-worker-source$/ }, () => ({
      path: "worker",
      namespace: "inline-worker",
    }));
    build.onLoad({ filter: /.*/, namespace: "inline-worker" }, async () => {
      const entry = join(here, "engine", "wasm", "worker.js");
      const result = await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        format: "esm",
        platform: "browser",
        target: "es2022",
        write: false,
        metafile: true,
        minify: true,
        loader: { ".wasm": "binary" },
      });
      return {
        contents: `export default ${JSON.stringify(result.outputFiles[0].text)};`,
        loader: "js",
        watchFiles: Object.keys(result.metafile?.inputs ?? {}).concat([entry]),
      };
    });
  },
};

const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  loader: { ".wasm": "binary", ".wgsl": "text", ".css": "text" },
  plugins: [inlineWorker],
  logLevel: "info",
};

const bundles = [
  { ...common, entryPoints: [join(here, "widget.js")], outfile: join(staticDir, "widget.js"), minify: !watch },
  { ...common, entryPoints: [join(here, "engine", "index.js")], outfile: join(buildDir, "engine.mjs") },
  // Node entry of pelican_widget.headless; Dawn (npm "webgpu") is a native addon, loaded at run time if present.
  {
    ...common,
    platform: "node",
    entryPoints: [join(here, "headless", "main.js")],
    outfile: join(staticDir, "headless.mjs"),
    external: ["webgpu"],
    minify: !watch,
  },
  // The widget's styles go to anywidget as `_css`: every host (JupyterLab,
  // marimo's shadow roots, VS Code, Colab) then applies them its own way, and
  // with ANYWIDGET_HMR=1 anywidget reloads the file when `npm run dev` rewrites it.
  { entryPoints: [join(here, "ui", "style.css")], outfile: join(staticDir, "widget.css"), bundle: true, minify: !watch, logLevel: "info" },
];

compileKernel();
if (!existsSync(staticDir)) mkdirSync(staticDir, { recursive: true });
if (watch) {
  for (const options of bundles) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(bundles.map((options) => esbuild.build(options)));
}
