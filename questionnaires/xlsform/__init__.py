"""XLSForm (ODK / KoboToolbox) import and export of questionnaires.

pyxform parses the XLSForms we read and converts the ones we write (to check them); openpyxl
writes the workbooks. Texts are in the columns ``label::Vietnamese (vi)`` and
``label::English (en)`` (likewise ``hint::…``, ``constraint_message::…`` and, on the
par_dimensions sheet, ``title::…``).

Mapping (ours ⇄ XLSForm)::

    title.vi / id / audience / layout   settings: form_title / form_id / par_audience / par_layout
    title.en                            settings: par_title_en
    (version)                           settings: version, the first 12 hex digits of content_hash
    intro                               survey: a first ``note`` row named ``intro``
    ${unit_group}                       survey: ``hidden unit_group`` right after the intro
    dimensions                          sheet par_dimensions: id, title::… (pyxform ignores it)
    section                             begin_group … end_group: name, label, relevant;
                                        appearance field-list when layout is section_per_page
    scale5                              select_one LIST, appearance likert
    rating10                            range, parameters "start=0 end=10 step=1"
    rating10 with not_applicable        select_one LIST (choices 0 … 10 and na), appearance likert
    yes_no                              select_one LIST with the choices yes, no
    single_choice / multiple_choice     select_one LIST / select_multiple LIST
    integer min, max                    integer, constraint ". >= MIN and . <= MAX" (or one side)
    text max_length                     text, constraint "string-length(.) <= N"
    date                                date
    required / relevant / help          required "yes" / relevant verbatim / hint::…
    dimension / reverse                 custom columns par_dimension / par_reverse ("yes")
    option score                        choices: custom column par_score
    not_applicable                      a choice named ``na`` in the item's list (scale5,
                                        rating10, yes_no and single_choice items only)

Choice lists are named so that import can restore the scales:

* ``SCALE``: the points of scale SCALE, exactly (every scale is written, used or not);
* ``SCALE__naN``: the points of SCALE and one ``na`` choice; items of one scale with the same
  not-applicable text share the list; N = 1, 2, … is the first number not taken;
* ``yes_no`` (``yes_no__naN`` with a not-applicable answer, or when a scale took ``yes_no``);
* ``rating10__naN``: 0–10 ratings with a not-applicable answer;
* ``ITEM`` (else ``ITEM_2``, ``ITEM_3``, …): the options of choice item ITEM.

On import a likert ``select_one`` whose choices are 1–5 is a scale5 item of the scale named like
its list (less ``__naN`` when the list has ``na``); a likert list 0–10 labelled with its numbers
is a rating10 item; a plain ``select_one`` of a list named ``yes_no`` / ``yes_no__naN`` that
holds exactly our yes/no choices is a yes_no item; other ``select_one`` / ``select_multiple``
questions are single / multiple choices. An ``na`` choice gives a ``select_one`` its
not-applicable answer; in the list of a ``select_multiple`` it is a problem (multiple choices
have none). A list no question uses is a scale when its choices are 1, 2, … n (an unused scale
of ours) and is otherwise reported as ignored.

Forms written by people import too: questions outside any group go into sections ``main``
(``main_2``, …) titled like the form; the intro is the first note before any question (else
the title); the audience is par_audience (else citizen); the layout is par_layout (else
section_per_page when every group has appearance field-list); the English title is par_title_en
(else form_title). Every feature we cannot represent is a problem of :class:`XLSFormError` that
names its sheet row; metadata (start, end, today, …, pyxform's meta/instanceID, Kobo's
``calculate __version__``), presentation details (other appearances, constraint messages) and
unknown columns are skipped and listed in :attr:`Imported.ignored`.

Export refuses (:class:`XLSFormError`) what XLSForm cannot hold: a section named intro,
unit_group or meta, an item that skip logic refers to when a section has the same name (pyxform
wants referenced names unique), and texts with control characters.

Modules: :mod:`~questionnaires.xlsform.common` (the error, the result, language columns),
:mod:`~questionnaires.xlsform.export` (workbooks, pyxform's check of them); import in
:mod:`~questionnaires.xlsform.importing` (entry point, form fields, the survey tree),
:mod:`~questionnaires.xlsform.items` (questions by type), :mod:`~questionnaires.xlsform.choices`
(choice lists and scales) and :mod:`~questionnaires.xlsform.reading` (the workbook, its rows,
language columns, the report of problems).
"""

from questionnaires.xlsform.common import Imported, XLSFormError
from questionnaires.xlsform.export import export_xlsform, to_workbook, xform_problems
from questionnaires.xlsform.importing import import_xlsform

__all__ = [
    "Imported",
    "XLSFormError",
    "export_xlsform",
    "import_xlsform",
    "to_workbook",
    "xform_problems",
]
