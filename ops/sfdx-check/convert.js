// Reads Handoff's Salesforce DX source with Salesforce's source-deploy-retrieve
// library (the engine of `sf project deploy start`) and converts it to the
// Metadata API format: a malformed file or an unknown type fails here.
const { ComponentSet, MetadataConverter } = require("@salesforce/source-deploy-retrieve");

async function main(sourceDir, outputDir) {
  const components = ComponentSet.fromSource(sourceDir);
  const found = components.getSourceComponents().toArray();
  for (const component of found) {
    console.log(`  ${component.type.name} ${component.fullName}`);
  }
  await new MetadataConverter().convert(components, "metadata", {
    type: "directory",
    outputDirectory: outputDir,
    genUniqueDir: false,
  });
  console.log(`${found.length} components converted to ${outputDir}`);
}

main(process.argv[2], process.argv[3]).catch((error) => {
  console.error(`The Salesforce DX source does not convert: ${error.name}: ${error.message}`);
  process.exit(1);
});
