// esbuild's text loader (package.json: --loader:.css=text) imports a stylesheet as its source text.
declare module "*.css" {
  const css: string;
  export default css;
}
