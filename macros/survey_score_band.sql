{#
    The band of a survey score on its scale, the same in every engine:
    NPS 0-10: detractor (0-6), passive (7-8), promoter (9-10);
    CSAT 1-5: dissatisfied (1-2), neutral (3), satisfied (4-5);
    CES 1-7 (higher is easier): difficult (1-3), neutral (4), easy (5-7).
    A score outside its scale, or an unknown survey type, has no band.
#}

{% macro survey_score_band(survey_type, score) -%}
    case
        when {{ survey_type }} = 'nps' and {{ score }} between 0 and 6 then 'detractor'
        when {{ survey_type }} = 'nps' and {{ score }} between 7 and 8 then 'passive'
        when {{ survey_type }} = 'nps' and {{ score }} between 9 and 10 then 'promoter'
        when {{ survey_type }} = 'csat' and {{ score }} between 1 and 2 then 'dissatisfied'
        when {{ survey_type }} = 'csat' and {{ score }} = 3 then 'neutral'
        when {{ survey_type }} = 'csat' and {{ score }} between 4 and 5 then 'satisfied'
        when {{ survey_type }} = 'ces' and {{ score }} between 1 and 3 then 'difficult'
        when {{ survey_type }} = 'ces' and {{ score }} = 4 then 'neutral'
        when {{ survey_type }} = 'ces' and {{ score }} between 5 and 7 then 'easy'
    end
{%- endmacro %}
