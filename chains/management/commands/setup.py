from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from chainboard import actions, audit
from chainboard.models import CityConfig
from chainboard.scope import SystemActor
from chains.models import Chain, Segment, SegmentLink
from regions.models import Region

DEFAULT = Path(__file__).resolve().parents[2] / "cities" / "jincheng.yaml"


class Command(BaseCommand):
    help = (
        "Prepare a city from a YAML template: its region code, its chains and their segments and links. "
        "Idempotent: what exists is kept. Regions must be loaded first (load-regions). Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("template", nargs="?", type=Path, default=DEFAULT, help="the YAML template")

    def handle(self, *args, template: Path, **options):
        try:
            spec = yaml.safe_load(template.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(f"{template}: {exc}") from exc
        actor = SystemActor("command:setup")
        with (
            audit.operation(user=actor, source=audit.Source.COMMAND, label="command:setup"),
            transaction.atomic(),
        ):
            city = self._region(spec["city"]["code"], "city.code")
            config = CityConfig.objects.first()
            if config is None:
                actions.create_direct(
                    actor, CityConfig(region=city, name=spec["city"].get("name", city.name))
                )
            elif config.region_id != city.code:
                raise CommandError(f"this deployment is set up for {config.region_id}, not {city.code}")
            for i, chain_spec in enumerate(spec.get("chains", [])):
                self._chain(actor, chain_spec, f"chains[{i}]")
        self.stdout.write(
            f"set up {city.name}: {Chain.objects.count()} chains, {Segment.objects.count()} segments"
        )

    def _region(self, code, where: str) -> Region:
        region = Region.objects.filter(code=str(code)).first()
        if region is None:
            raise CommandError(f"{where}: unknown region code {code} (run `chainboard load-regions` first?)")
        return region

    def _chain(self, actor, spec: dict, where: str) -> None:
        chain = Chain.objects.filter(name=spec["name"], level=spec.get("level", "city")).first()
        if chain is None:
            chain = actions.create_direct(
                actor,
                Chain(
                    name=spec["name"],
                    level=spec.get("level", "city"),
                    region=self._region(spec["region"], f"{where}.region") if spec.get("region") else None,
                    yearly_landing_target=spec.get("yearly_landing_target"),
                    description=spec.get("description", ""),
                    source=spec.get("source", ""),
                ),
            )
        segments = {s.name: s for s in chain.segments.all()}
        for seg in spec.get("segments", []):
            if seg["name"] not in segments:
                segments[seg["name"]] = actions.create_direct(
                    actor,
                    Segment(
                        chain=chain,
                        name=seg["name"],
                        stream=seg.get("stream", ""),
                        order=seg.get("order", 0),
                        is_weak=seg.get("is_weak", False),
                        source=seg.get("source", ""),
                        is_sample=seg.get("is_sample", False),
                    ),
                )
        for j, (up, down) in enumerate(spec.get("links", [])):
            if up not in segments or down not in segments:
                raise CommandError(
                    f"{where}.links[{j}]: unknown segment {up if up not in segments else down}"
                )
            if not SegmentLink.objects.filter(upstream=segments[up], downstream=segments[down]).exists():
                actions.create_direct(
                    actor,
                    SegmentLink(
                        upstream=segments[up],
                        downstream=segments[down],
                        is_sample=bool(spec.get("links_are_sample", False)),
                        source=spec.get("links_source", ""),
                    ),
                )
