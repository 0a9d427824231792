"""People: faces of one owner grouped by who they are, as photos arrive.

Each analysed image brings its faces (gallery.analysis.FaceFound: a box, a
unit-length FaceRes descriptor and a small JPEG). A face joins the person of
the owner's most similar grouped face when the two descriptors are close
enough (cosine >= SAME_PERSON); otherwise it starts a new person. Grouping is
incremental: nothing already grouped moves, so a name the owner gave stays
put. The owner corrects what grouping got wrong: rename a person, merge two,
remove a face from its person (a removed face is never grouped again).

Everything is scoped to one owner: faces are only ever compared with the
same owner's faces, and an owner's grouping runs under a lock on their user
row so that two photos analysed at once cannot both start the same person.
Turning face grouping off (a per-user setting) deletes every face and person.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, transaction

from accounts.models import Profile

from .. import selectors, similarity
from ..analysis import FaceFound
from ..models import Face, Image, Person

# FaceRes descriptors are 1024-d.
DESCRIPTOR_DIM = 1024
# Cosine from which two faces are taken for one person. The same face in
# edited copies of a photo (mirrored, cropped, brighter, resized) scored
# 0.78-0.99 down to 32 px faces (smaller ones are not described at all); the
# two sample people against each other 0.2-0.4.
SAME_PERSON = 0.7
# A face overlapping an earlier face of the same image this much (IoU) is the
# same face seen again: a new analysis keeps the owner's corrections.
SAME_FACE_IOU = 0.5
PERSON_NAME_MAX = 100


class PersonError(ValueError):
    """A people action the owner cannot do (a message for the page)."""


def face_grouping_set(*, owner: User, enabled: bool) -> None:
    """Turn face grouping on or off; off deletes every face and person."""
    with transaction.atomic():
        _lock_owner(owner.pk)
        Profile.objects.update_or_create(
            user=owner, defaults={"face_grouping": enabled}
        )
        if not enabled:
            Face.objects.filter(owner=owner).delete()
            Person.objects.filter(owner=owner).delete()


def image_faces_record(*, image: Image, faces: Sequence[FaceFound]) -> None:
    """Replace the image's faces with ``faces`` and group the new ones.

    Does nothing when the owner turned face grouping off. A face that was
    already known at the same place keeps its person (or its removal).
    """
    if not selectors.face_grouping_enabled(owner_id=image.owner_id):
        return
    with transaction.atomic():
        _lock_owner(image.owner_id)
        if not Image.objects.filter(pk=image.pk).exists():
            return  # deleted meanwhile: no face without its image
        before = list(Face.objects.filter(image_id=image.pk))
        Face.objects.filter(image_id=image.pk).delete()
        for found in faces:
            face = _new_face(image, found)
            known = _same_face(face, before)
            if known is not None:
                face.person_id, face.removed = known.person_id, known.removed
            else:
                face.person_id = _person_for(image.owner_id, found.descriptor)
            face.save()
        _delete_empty_people(image.owner_id)


def person_rename(*, owner: User, person_id: uuid.UUID, name: str) -> Person:
    name = " ".join(name.split())
    if len(name) > PERSON_NAME_MAX:
        raise PersonError(f"A name has at most {PERSON_NAME_MAX} characters.")
    person = _owned_person(owner, person_id)
    person.name = name
    person.save(update_fields=["name"])
    return person


def people_merge(
    *, owner: User, person_id: uuid.UUID, into_id: uuid.UUID | None
) -> Person:
    """Move every face of one person to another, and forget the first."""
    if into_id is None or person_id == into_id:
        raise PersonError("Choose another person to merge with.")
    with transaction.atomic():
        _lock_owner(owner.pk)
        person = _owned_person(owner, person_id)
        into = _owned_person(owner, into_id)
        Face.objects.filter(owner=owner, person=person).update(person=into)
        if not into.name and person.name:
            into.name = person.name
            into.save(update_fields=["name"])
        person.delete()
    return into


def face_remove(*, owner: User, face_id: uuid.UUID) -> Person | None:
    """Take a wrongly grouped face out of its person; returns the person, or
    None when that was its last face (the person is then forgotten)."""
    with transaction.atomic():
        _lock_owner(owner.pk)
        face = Face.objects.filter(owner=owner, pk=face_id, removed=False).first()
        if face is None:
            raise PersonError("That face is not in your photos.")
        person_id = face.person_id
        face.removed, face.person = True, None
        face.save(update_fields=["removed", "person"])
        _delete_empty_people(owner.pk)
    if person_id is None:
        return None
    return Person.objects.filter(pk=person_id).first()


def faces_unindex(*, image_ids: Collection[object]) -> None:
    """Remove the images' faces (before their rows go) and people left empty."""
    owners = set(
        Face.objects.filter(image_id__in=image_ids).values_list("owner_id", flat=True)
    )
    Face.objects.filter(image_id__in=image_ids).delete()
    for owner_id in owners:
        _delete_empty_people(owner_id)


# -- helpers ------------------------------------------------------------------


def _lock_owner(owner_id: int) -> None:
    get_user_model().objects.select_for_update().filter(pk=owner_id).first()


def _owned_person(owner: User, person_id: uuid.UUID) -> Person:
    person = Person.objects.filter(owner=owner, pk=person_id).first()
    if person is None:
        raise PersonError("That person is not in your photos.")
    return person


def _new_face(image: Image, found: FaceFound) -> Face:
    left, top, width, height = found.box
    return Face(
        owner_id=image.owner_id,
        image_id=image.pk,
        left=left,
        top=top,
        width=width,
        height=height,
        confidence=found.confidence,
        descriptor=similarity.to_bytes(found.descriptor),
        thumbnail=found.thumbnail,
    )


def _same_face(face: Face, before: list[Face]) -> Face | None:
    def iou(a: Face, b: Face) -> float:
        w = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
        h = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
        inter = max(0.0, w) * max(0.0, h)
        union = a.width * a.height + b.width * b.height - inter
        return inter / union if union > 0 else 0.0

    best = max(before, key=lambda old: iou(face, old), default=None)
    return best if best is not None and iou(face, best) >= SAME_FACE_IOU else None


def _person_for(owner_id: int, descriptor: Sequence[float]) -> uuid.UUID:
    """The person of the owner's most similar grouped face, or a new one."""
    import numpy as np

    query = np.asarray(descriptor, np.float32)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id, descriptor FROM gallery_face "
            "WHERE owner_id = %s AND person_id IS NOT NULL AND NOT removed",
            [owner_id],
        )
        best = similarity.best_rows(cursor, query, 1, DESCRIPTOR_DIM)
    if best and best[0][1] >= SAME_PERSON:
        return uuid.UUID(str(best[0][0]))
    return Person.objects.create(owner_id=owner_id).pk


def _delete_empty_people(owner_id: int) -> None:
    Person.objects.filter(owner_id=owner_id).exclude(
        pk__in=Face.objects.filter(owner_id=owner_id, person__isnull=False).values(
            "person_id"
        )
    ).delete()
