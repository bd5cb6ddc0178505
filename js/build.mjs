// Builds nbstream/static/widget.js: one ES module with its two stylesheets inlined as minified text
// (every widget's comm_open carries the whole bundle, so comments and indentation cost bytes each time).
import { readFile } from "node:fs/promises";
import * as esbuild from "esbuild";

/** @type {esbuild.Plugin} */
const minifiedCss = {
  name: "minified-css",
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const { code } = await esbuild.transform(source, { loader: "css", minify: true });
      return { contents: code, loader: "text" };
    });
  },
};

const watch = process.argv.includes("--watch");
/** @type {esbuild.BuildOptions} */
const options = {
  entryPoints: ["js/index.js"],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  outfile: "nbstream/static/widget.js",
  plugins: [minifiedCss],
  ...(watch ? { sourcemap: "inline" } : {}),
};

if (watch) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
