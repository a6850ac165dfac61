from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from chainboard import desk


@login_required
def home(request):
    """The user's desk: the registered cards they may see, in order (chainboard/desk.py)."""
    cards = desk.cards_for(request)
    counts = next((card["counts"] for card in cards if card["card"].name == "counts"), [])
    context = {
        "cards": cards,
        # The strip of counts, as the overview's tests and the sample-data note read it.
        "widgets": counts,
        "sample_note": any(count["sample"] for count in counts),
    }
    return render(request, "chainboard/home.html", context)
