#!/usr/bin/env bash
# Packs Jimu, Jimu.Onnx and the jimu tool into a local folder, then builds a fresh console app outside the solution
# that takes Jimu from that folder by PackageReference and runs the README's C# example with it: the package a user
# installs compiles and works on its own. Usage: tools/check-package.sh [--no-build] (CI passes --no-build after
# building the solution). Takes about a minute plus the example's training (a few seconds).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t jimu-package-XXXXXX)"
trap 'rm -rf "$work"' EXIT
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)"

dotnet pack "$repo/Jimu.sln" -c Release -o "$work/packages" "$@" -v q -nologo
for id in Jimu Jimu.Onnx Jimu.Cli; do
  test -f "$work/packages/$id.$version.nupkg" || { echo "check-package: $id.$version.nupkg was not made" >&2; exit 1; }
done

# The app: its own folder, its own NuGet cache (no stale Jimu from an earlier run), only the local folder as source.
app="$work/app"
mkdir -p "$app"
cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/packages" />
  </packageSources>
</configuration>
XML
cat > "$app/ReadmeExample.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Jimu" Version="$version" />
  </ItemGroup>
</Project>
XML
# Program.cs: the README's first csharp block, its using lines first, then the two paths it names, then its code.
block="$(awk '/^```csharp$/ {on=1; next} on && /^```$/ {exit} on {print}' "$repo/README.md")"
{
  grep '^using ' <<<"$block"
  echo 'string dataDirectory = args[0], modelPath = args[1];'
  grep -v '^using ' <<<"$block"
} > "$app/Program.cs"

export NUGET_PACKAGES="$work/nuget-cache"
dotnet run --project "$app" -c Release -v q -- "$repo/data/mnist-sample" "$work/model.safetensors" | tee "$work/out.txt"
grep -q '^first test image: ' "$work/out.txt" || { echo "check-package: the README example printed no prediction" >&2; exit 1; }
test -f "$work/model.safetensors" || { echo "check-package: the README example saved no model" >&2; exit 1; }
echo "check-package: the README example ran against the packed Jimu $version from a fresh console app"
